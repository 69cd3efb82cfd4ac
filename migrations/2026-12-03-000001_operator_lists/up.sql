-- The operator's lists (API.md §17) page newest first by (created_at, id),
-- like every other list: these indexes keep a page's cost independent of
-- how deep it is. Members are listed by their user, so users' index
-- serves them too.

CREATE INDEX orgs_created_idx ON orgs (created_at DESC, id DESC);
CREATE INDEX users_created_idx ON users (created_at DESC, id DESC);
CREATE INDEX api_keys_created_idx ON api_keys (created_at DESC, id DESC);
CREATE INDEX api_keys_org_created_idx ON api_keys (org_id, created_at DESC, id DESC);
CREATE INDEX api_keys_user_created_idx ON api_keys (user_id, created_at DESC, id DESC);
