-- An update onto a release whose migrate job asks for it dumps the
-- database first: a `pre_migrate` dump, which rolling the tenant back may
-- restore. SQLite cannot change a CHECK in place: the catalogue is copied
-- into a table with the new one.
CREATE TABLE backups_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    job TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('scheduled', 'on_demand', 'pre_deprovision', 'pre_restore', 'pre_migrate')),
    run_id BIGINT,
    taken_at BIGINT NOT NULL,
    location TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    pruned_at BIGINT,
    UNIQUE (tenant_id, job)
);
INSERT INTO backups_new SELECT id, tenant_id, job, method, run_id, taken_at, location, size_bytes,
    sha256, recorded_at, pruned_at FROM backups;
DROP TABLE backups;
ALTER TABLE backups_new RENAME TO backups;
CREATE INDEX backups_tenant_taken ON backups (tenant_id, taken_at);
-- A rollout finds the dump its tenant's move took by the move's run.
CREATE INDEX backups_by_run ON backups (run_id);
