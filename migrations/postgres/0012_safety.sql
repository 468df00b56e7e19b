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
CREATE FUNCTION tenant_first_live() RETURNS trigger AS $$
BEGIN
    IF NEW.state IN ('active', 'degraded', 'suspended') AND NEW.first_live_at IS NULL THEN
        NEW.first_live_at := (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tenant_first_live BEFORE UPDATE OF state ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenant_first_live();

-- A secret written on the row before the namespace is created, and onto
-- the namespace as an annotation: after a crash between the create and
-- recording the UID, only a namespace carrying it is taken as Tenantry's.
ALTER TABLE tenants ADD COLUMN namespace_nonce TEXT;

-- A restore first takes a `pre_restore` dump.
ALTER TABLE backups DROP CONSTRAINT backups_method_check;
ALTER TABLE backups ADD CONSTRAINT backups_method_check
    CHECK (method IN ('scheduled', 'on_demand', 'pre_deprovision', 'pre_restore'));
