-- The release jobs that run once in a tenant's life (`post-provision`),
-- by step name (`post-provision/<job>`), once they completed: a later run
-- plans only those it does not find here, so a job runs once however many
-- updates follow, and a job a newer release adds runs once for tenants
-- that move to it. Written in the transaction that completes the step.
CREATE TABLE tenant_jobs (
    tenant_id TEXT NOT NULL,
    step TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    completed_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, step)
);
