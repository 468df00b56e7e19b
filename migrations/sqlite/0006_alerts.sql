-- Alerts that reach people (added only: see migrations/README.md).

-- Each tenant's health transitions, as the leader saw them.
CREATE TABLE health_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    health TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX health_history_tenant ON health_history (tenant_id, at);

-- Rule settings changed from the defaults, per template or per tenant
-- (beside the template id, not inside its immutable versions). NULL keeps
-- what the level above says.
CREATE TABLE alert_rule_overrides (
    scope TEXT NOT NULL CHECK (scope IN ('template', 'tenant')),
    scope_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    enabled INTEGER,
    severity TEXT,
    for_secs INTEGER,
    threshold REAL,
    critical REAL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (scope, scope_id, rule)
);

-- One row per alert, deduplicated on its fingerprint while open. (The
-- foundation's placeholder `alerts` table was never written or read by any
-- release, so it can go at once.)
DROP TABLE alerts;
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    tenant_id TEXT,
    rule TEXT NOT NULL,
    subject TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'acknowledged', 'resolved')),
    summary TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    fired_at INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    ack_note TEXT,
    resolved_at INTEGER,
    resolved_by TEXT,
    last_notified_at INTEGER,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX alerts_open ON alerts (fingerprint) WHERE state <> 'resolved';
CREATE INDEX alerts_state ON alerts (state, severity);
CREATE INDEX alerts_tenant ON alerts (tenant_id);

CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT
);
CREATE INDEX alert_events_alert ON alert_events (alert_id);

-- Silences suppress notifications (never records) for a tenant and/or rule.
CREATE TABLE silences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT,
    rule TEXT,
    ends_at INTEGER NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ended_at INTEGER
);

-- Where notifications go. `secret` is sealed with TENANTRY_SECRET_KEY.
CREATE TABLE notification_channels (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'pagerduty')),
    settings TEXT NOT NULL,
    secret TEXT,
    min_severity TEXT NOT NULL,
    template_ids TEXT NOT NULL DEFAULT '',
    tenant_ids TEXT NOT NULL DEFAULT '',
    group_window_secs INTEGER NOT NULL,
    repeat_secs INTEGER NOT NULL,
    send_resolved INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);

-- The outbox: written in the same transaction as the alert change it
-- announces, delivered at least once, kept as the delivery log.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('firing', 'repeat', 'resolved', 'test')),
    group_key TEXT NOT NULL,
    alert_ids TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX notifications_due ON notifications (state, not_before);
CREATE INDEX notifications_channel ON notifications (channel_id, id);
