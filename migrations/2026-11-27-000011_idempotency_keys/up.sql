-- Idempotency keys (API.md §11), per org. A row is claimed by a running
-- request (`response_status` NULL, held until `locked_until`) and then
-- holds the response to replay. Rows older than 24 h are treated as absent
-- and overwritten on reuse.
CREATE TABLE idempotency_keys (
    org_id           BIGINT      NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    key              TEXT        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint      TEXT        NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    locked_until     TIMESTAMPTZ NOT NULL,
    response_status  SMALLINT    CHECK (response_status BETWEEN 100 AND 499),
    response_headers TEXT,
    response_body    BYTEA,
    PRIMARY KEY (org_id, key)
);

-- For purging expired keys.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
