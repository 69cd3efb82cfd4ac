DROP INDEX api_keys_user_created_idx;
DROP INDEX api_keys_org_created_idx;
DROP INDEX api_keys_created_idx;
DROP INDEX users_created_idx;
DROP INDEX orgs_created_idx;
