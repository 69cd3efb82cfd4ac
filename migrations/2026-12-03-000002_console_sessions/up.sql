-- Console sessions (API.md §16): kept by the SHA-256 of their id, never
-- the id itself. A session acts with an API key; revoking the key ends it
-- (the key is checked on every read), deleting the key deletes it.
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at);
