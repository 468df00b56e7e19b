-- Owner messages in the outbox: a notification of kind `owner` tells a
-- tenant's owner something (`message`: `welcome`, …) through the channel
-- named in the settings; its idempotency key names the tenant and the
-- message, so it is queued once however many runs and replicas complete.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('firing', 'repeat', 'resolved', 'test', 'owner'));
ALTER TABLE notifications ADD COLUMN tenant_id TEXT;
ALTER TABLE notifications ADD COLUMN message TEXT;

-- The welcome mail's one-time link: only the SHA-256 of its token, one
-- link a tenant (a new mail replaces it), valid until `expires_at`, spent
-- when `used_at` is set (guarded, so two clicks cannot both open it).
CREATE TABLE welcome_links (
    tenant_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
