-- What GET /v1/phone-numbers/{id} needs from the database, straight:
-- the API-key lookup the service makes on every request (key hash joined
-- with the membership), then the number by primary key. Run by
-- bench/run.sh with -M prepared -D key_hash=<sha256 hex of the key>
-- -D max_id=<rows>.
\set id random(1, :max_id)
SELECT api_keys.id, api_keys.user_id, api_keys.org_id, memberships.role
  FROM api_keys
  JOIN memberships ON memberships.org_id = api_keys.org_id
                  AND memberships.user_id = api_keys.user_id
 WHERE api_keys.key_hash = :key_hash AND api_keys.revoked_at IS NULL
 LIMIT 1;
SELECT id, org_id, number, source, status, inbound_agent_id, outbound_agent_id,
       voip_connection_id, voip_verification_status, voip_last_verified_at,
       status_reason, version, created_at, updated_at
  FROM phone_numbers
 WHERE id = :id AND deleted_at IS NULL AND org_id = 1
 LIMIT 1;
