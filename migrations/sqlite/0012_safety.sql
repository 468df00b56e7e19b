-- A tenant that was ever live loses data only through Deprovision, and a
-- namespace is Tenantry's only if Tenantry made it. Additions only: the
-- previous release ignores the new columns, and its state writes are seen
-- by the trigger.
--
-- `first_live_at`: when the tenant first stood active, degraded or
-- suspended. Kept by a trigger on every state write, so no code path can
-- forget it. Roll-back and clean-up remove only what a run made for a
-- tenant that has never been live. The backfill counts a tenant as live
-- when its state history or a completed provision, update, resume or
-- restore says so, when its state says so now, or when retention may have
-- removed its history (a pass ran after it was created).
ALTER TABLE tenants ADD COLUMN first_live_at BIGINT;
UPDATE tenants SET first_live_at = COALESCE(
    (SELECT MIN(c.at) FROM tenant_state_changes c
      WHERE c.tenant_id = tenants.id AND c.state IN ('active', 'degraded', 'suspended')),
    (SELECT MIN(COALESCE(r.finished_at, r.created_at)) FROM provisioning_runs r
      WHERE r.tenant_id = tenants.id AND r.state = 'completed'
        AND r.operation IN ('provision', 'update', 'resume', 'restore')),
    CASE WHEN state NOT IN ('pending', 'provisioning', 'failed') THEN updated_at END,
    (SELECT MIN(a.at) FROM audit_events a
      WHERE a.action = 'retention.pruned' AND a.at > tenants.created_at)
);
CREATE TRIGGER tenant_first_live AFTER UPDATE OF state ON tenants
WHEN NEW.state IN ('active', 'degraded', 'suspended') AND NEW.first_live_at IS NULL
BEGIN
    UPDATE tenants SET first_live_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
    WHERE id = NEW.id;
END;

-- A secret written on the row before the namespace is created, and onto
-- the namespace as an annotation: after a crash between the create and
-- recording the UID, only a namespace carrying it is taken as Tenantry's.
ALTER TABLE tenants ADD COLUMN namespace_nonce TEXT;

-- A restore first takes a `pre_restore` dump. SQLite cannot change a CHECK
-- in place: the catalogue is copied into a table with the new one.
CREATE TABLE backups_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    job TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('scheduled', 'on_demand', 'pre_deprovision', 'pre_restore')),
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
