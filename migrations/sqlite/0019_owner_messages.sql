-- Owner messages in the outbox: a notification of kind `owner` tells a
-- tenant's owner something (`message`: `welcome`, …) through the channel
-- named in the settings; its idempotency key names the tenant and the
-- message, so it is queued once however many runs and replicas complete.
-- SQLite cannot change a CHECK in place: the outbox is copied into a
-- table with the new one.
CREATE TABLE notifications_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('firing', 'repeat', 'resolved', 'test', 'owner')),
    group_key TEXT NOT NULL,
    alert_ids TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    tenant_id TEXT,
    message TEXT
);
INSERT INTO notifications_new (id, channel_id, kind, group_key, alert_ids, idempotency_key, state,
    attempts, not_before, last_error, created_at, sent_at)
    SELECT id, channel_id, kind, group_key, alert_ids, idempotency_key, state, attempts,
    not_before, last_error, created_at, sent_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due ON notifications (state, not_before);
CREATE INDEX notifications_channel ON notifications (channel_id, id);

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
