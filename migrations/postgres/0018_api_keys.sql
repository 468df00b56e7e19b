-- A tenant's API keys (names declared by its release's contract): only
-- the SHA-256 of each key is kept. A rotation moves the current hash to
-- `previous_hash`, accepted until `previous_until` (ms); the leader ends
-- the overlap when that time passes, guarded on the hash it clears.
CREATE TABLE tenant_api_keys (
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    issued_by TEXT NOT NULL,
    previous_hash TEXT,
    previous_until BIGINT,
    PRIMARY KEY (tenant_id, name)
);
CREATE INDEX tenant_api_keys_overlap ON tenant_api_keys (previous_until);
