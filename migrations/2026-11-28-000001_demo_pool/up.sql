-- The demo pool as rows to claim (API.md §5): one row per line (0-99) of
-- an area code, `held` while a not-deleted phone number holds its number
-- `+1 <area_code> 555-01<line>`. Claims lock the first free row with
-- `FOR UPDATE SKIP LOCKED`, so concurrent claimers take different lines
-- instead of racing for the same one.
--
-- Rows are created on first use of an area code by the store (all 100 at
-- once, `held` computed from `phone_numbers`), so nothing is seeded here
-- and existing numbers need no backfill. Every write that makes a pool
-- number held or free updates (or creates) its row in the same
-- transaction; the unique index `phone_numbers_number_held` stays the
-- guarantee that a number has one holder.

CREATE TABLE demo_pool (
    area_code TEXT     NOT NULL CHECK (area_code ~ '^[2-9][0-9]{2}$'),
    line      SMALLINT NOT NULL CHECK (line BETWEEN 0 AND 99),
    held      BOOLEAN  NOT NULL,
    PRIMARY KEY (area_code, line)
);

-- The free lines of an area code, lowest first: a claim reads one entry
-- per area code it passes over, however many lines are held.
CREATE INDEX demo_pool_free_idx ON demo_pool (area_code, line) WHERE NOT held;
