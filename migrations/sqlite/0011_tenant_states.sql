-- Every state a tenant has been in, and since when, for "tenants by state
-- over time". Written by triggers, so no code path that moves a tenant's
-- state can forget it. New table and triggers only: the previous release's
-- writes are recorded too. Existing tenants start with their current state.
CREATE TABLE tenant_state_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    state TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX tenant_state_changes_at ON tenant_state_changes (at);
INSERT INTO tenant_state_changes (tenant_id, state, at) SELECT id, state, updated_at FROM tenants;
CREATE TRIGGER tenant_state_inserted AFTER INSERT ON tenants
BEGIN
    INSERT INTO tenant_state_changes (tenant_id, state, at)
    VALUES (NEW.id, NEW.state, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
CREATE TRIGGER tenant_state_updated AFTER UPDATE OF state ON tenants
WHEN OLD.state <> NEW.state
BEGIN
    INSERT INTO tenant_state_changes (tenant_id, state, at)
    VALUES (NEW.id, NEW.state, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
