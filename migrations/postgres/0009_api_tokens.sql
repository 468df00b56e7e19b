-- Personal API tokens for /api/v1 and the `tenantry` CLI. Only the
-- SHA-256 of a token is stored (tokens are 256 random bits, so a fast hash
-- is enough); `prefix` is the token's first characters, to tell them apart
-- in lists. A token's role is at most its owner's: the effective role is
-- the lower of the two, judged on every request. New tables only: the
-- previous release ignores them.
CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_staff ON api_tokens (staff_id);

-- Answers to requests that carried an Idempotency-Key, kept for a day, so a
-- retried create or operation gets the first answer instead of a second
-- tenant or run. `fingerprint` is the SHA-256 of method, path and body: the
-- same key with another request is refused. `status` 0 marks a request
-- still being answered.
CREATE TABLE idempotency_keys (
    staff_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status BIGINT NOT NULL,
    location TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (staff_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
