-- The backup catalogue: one row per dump that reached the object store,
-- recorded from the backup Job that made it (its container's termination
-- message carries the object's key, size and SHA-256). `job` is unique per
-- tenant, so the step that waited for the Job and the leader's sweep over
-- completed Jobs record it once. Rows outlive the tenant (no foreign key):
-- a pre-deprovisioning dump stays restorable for the keep period.
-- `pruned_at` marks rows beyond the tier's retention count, whose objects
-- the backup script deleted. New table only: the previous release ignores it.
CREATE TABLE backups (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    job TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('scheduled', 'on_demand', 'pre_deprovision')),
    run_id BIGINT,
    taken_at BIGINT NOT NULL,
    location TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    pruned_at BIGINT,
    UNIQUE (tenant_id, job)
);
CREATE INDEX backups_tenant_taken ON backups (tenant_id, taken_at);
