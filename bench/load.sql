-- Loads a freshly migrated database for bench/run.sh, in SQL (fast):
-- one org, one user (owner), two agents, :rows active demo-source numbers
-- with their version-1 snapshots, and the demo pool rows of every area
-- code. The API key is created afterwards with `thunderphone admin
-- create-key`, so its hash is whatever the service computes.
--
-- psql variables: rows (e.g. 1000000), codes (a Postgres text-array
-- literal of the NANP area codes, e.g. '{201,202,...}').
--
-- Numbers are +1 <area code> 234 <4-digit line>: the k-th row takes area
-- code k mod n and line k div n, so all are distinct, all are valid NANP
-- numbers of real area codes (the service re-validates every number it
-- reads), and none has the demo-pool shape +1 NPA 555-01XX, so the pool
-- stays wholly free for the provisioning run. created_at is 1 ms apart,
-- in id order.
\set ON_ERROR_STOP on
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';

BEGIN;
INSERT INTO orgs (id, name, created_at) VALUES (1, 'Bench Org', now());
INSERT INTO users (id, email, created_at) VALUES (1, 'bench@example.com', now());
INSERT INTO memberships (org_id, user_id, role) VALUES (1, 1, 'owner');
INSERT INTO agents (id, org_id, name, created_at)
VALUES (1, 1, 'Bench agent A', now()), (2, 1, 'Bench agent B', now());
DO $$ BEGIN
    PERFORM setval(pg_get_serial_sequence('orgs', 'id'), 1);
    PERFORM setval(pg_get_serial_sequence('users', 'id'), 1);
    PERFORM setval(pg_get_serial_sequence('agents', 'id'), 2);
END $$;
COMMIT;

-- The area-code array as a table, for the generator below.
CREATE TEMP TABLE bench_codes AS
SELECT (ord - 1)::int AS idx, code
FROM unnest(:'codes'::text[]) WITH ORDINALITY AS c(code, ord);
SELECT count(*) AS area_codes FROM bench_codes \gset
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM bench_codes) THEN
        RAISE EXCEPTION 'no area codes given';
    END IF;
END $$;

BEGIN;
INSERT INTO phone_numbers (
    id, org_id, number, source, status, inbound_agent_id, outbound_agent_id,
    voip_connection_id, voip_verification_status, voip_last_verified_at,
    status_reason, version, created_at, updated_at, deleted_at)
SELECT g.i, 1,
       '+1' || c.code || '234' || lpad(((g.i - 1) / :area_codes)::text, 4, '0'),
       'demo', 'active', NULL, NULL, NULL, 'unverified', NULL, NULL, 1,
       timestamptz '2026-01-01 00:00:00+00' + g.i * interval '1 millisecond',
       timestamptz '2026-01-01 00:00:00+00' + g.i * interval '1 millisecond',
       NULL
FROM generate_series(1, :rows) AS g(i)
JOIN bench_codes c ON c.idx = (g.i - 1) % :area_codes;

INSERT INTO phone_number_versions (
    phone_number_id, version, org_id, status, inbound_agent_id, outbound_agent_id,
    voip_connection_id, voip_verification_status, change, changed_by_user_id,
    changed_by_api_key_id, created_at)
SELECT id, 1, org_id, status, NULL, NULL, NULL, voip_verification_status, 'created',
       NULL, NULL, created_at
FROM phone_numbers;

SELECT setval(pg_get_serial_sequence('phone_numbers', 'id'), :rows) \g /dev/null
COMMIT;

-- The demo pool: every line of every area code, held when a live number
-- holds it (none here). Same statement as the store's first-use seeding.
INSERT INTO demo_pool (area_code, line, held)
SELECT wanted.area_code, lines.line::smallint, EXISTS (
    SELECT 1 FROM phone_numbers p WHERE p.deleted_at IS NULL
    AND p.number = '+1' || wanted.area_code || '55501' || lpad(lines.line::text, 2, '0'))
FROM unnest(:'codes'::text[]) AS wanted(area_code) CROSS JOIN generate_series(0, 99) AS lines(line)
ORDER BY 1, 2
ON CONFLICT (area_code, line) DO NOTHING;

VACUUM ANALYZE;
