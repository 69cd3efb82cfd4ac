-- The durable queue of activation jobs: one row per not-deleted
-- `provisioning` demo number that waits for the provider. A pool claim
-- inserts it with the number; the change that settles the number (or its
-- deletion) deletes it, in the same transaction.

CREATE TABLE activation_jobs (
    phone_number_id BIGINT      PRIMARY KEY REFERENCES phone_numbers (id),
    attempts        INTEGER     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    due_at          TIMESTAMPTZ NOT NULL,
    -- Held by a worker until then; NULL when not leased.
    lease_until     TIMESTAMPTZ,
    last_error      TEXT
);

-- Leasing takes the oldest due jobs first.
CREATE INDEX activation_jobs_due_idx ON activation_jobs (due_at, phone_number_id);
