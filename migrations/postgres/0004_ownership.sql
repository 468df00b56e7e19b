-- Ownership and hardening. Only additions, so a replica still on the
-- previous version keeps working beside one on this version.
--
-- A tenant's namespace is decided once, when the tenant is created (from the
-- namespace prefix in force then), and stored; the UID of the namespace
-- Tenantry created is remembered so teardown deletes that object and no
-- other of the same name.
ALTER TABLE tenants ADD COLUMN namespace TEXT;
ALTER TABLE tenants ADD COLUMN namespace_uid TEXT;
UPDATE tenants SET namespace = 'tenant-' || id WHERE namespace IS NULL;
CREATE UNIQUE INDEX tenants_namespace ON tenants (namespace);

-- A generated password (first start, `staff add`, a reset) must be changed
-- at the first sign-in.
ALTER TABLE staff ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- Sign-in attempts per key ("acct:<name>@<address>", "addr:<address>"),
-- counted when an attempt starts; shared by every replica on one database.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT,
    touched_at BIGINT NOT NULL
);
CREATE INDEX login_throttle_touched ON login_throttle (touched_at);
