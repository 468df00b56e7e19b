-- Several replicas on one database (see migrations/README.md: add first,
-- drop later, so an old and a new replica can run side by side).
--
-- A run is claimed by one process (`owner`) with a lease it renews
-- (`lease_until`, judged by the database's clock); another process resumes
-- it only once the lease has expired.
ALTER TABLE provisioning_runs ADD COLUMN owner TEXT;
ALTER TABLE provisioning_runs ADD COLUMN lease_until BIGINT;
CREATE INDEX provisioning_runs_owner ON provisioning_runs (owner);

-- One active run per tenant, whatever races the console loses.
CREATE UNIQUE INDEX provisioning_runs_one_active ON provisioning_runs (tenant_id)
    WHERE state IN ('pending', 'running');

-- Every attempt of every step, with the process that ran it.
CREATE TABLE step_attempts (
    run_id BIGINT NOT NULL REFERENCES provisioning_runs (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    process TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    outcome TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (run_id, position, attempt)
);
