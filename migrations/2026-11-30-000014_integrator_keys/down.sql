DROP INDEX conversations_account_activity_idx;
DROP TABLE api_keys;
ALTER TABLE accounts DROP COLUMN slug;
