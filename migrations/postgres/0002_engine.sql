-- Provisioning engine: per-tenant replica overrides, what was last observed
-- on the cluster, and runs that must not start before a time (scheduled or
-- waiting out a grace period).
ALTER TABLE tenants ADD COLUMN api_replicas BIGINT;
ALTER TABLE tenants ADD COLUMN web_replicas BIGINT;
ALTER TABLE tenants ADD COLUMN observed_at BIGINT;
ALTER TABLE tenants ADD COLUMN state_detail TEXT;
ALTER TABLE provisioning_runs ADD COLUMN not_before BIGINT;
