-- Every state a tenant has been in, and since when, for "tenants by state
-- over time". Written by triggers, so no code path that moves a tenant's
-- state can forget it. New table and triggers only: the previous release's
-- writes are recorded too. Existing tenants start with their current state.
CREATE TABLE tenant_state_changes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    state TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX tenant_state_changes_at ON tenant_state_changes (at);
INSERT INTO tenant_state_changes (tenant_id, state, at) SELECT id, state, updated_at FROM tenants;
CREATE FUNCTION tenant_state_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR OLD.state IS DISTINCT FROM NEW.state THEN
        INSERT INTO tenant_state_changes (tenant_id, state, at)
        VALUES (NEW.id, NEW.state, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tenant_state_changed AFTER INSERT OR UPDATE OF state ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenant_state_changed();
