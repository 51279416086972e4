DROP FUNCTION sb_try_bool(TEXT);
DROP FUNCTION sb_try_timestamptz(TEXT);
DROP FUNCTION sb_try_float(TEXT);
ALTER TABLE conversations DROP COLUMN muted;
DROP TABLE uploads;
DROP INDEX webhooks_automation_url_idx;
ALTER TABLE webhooks DROP COLUMN automation_rule_id;
DROP TABLE automation_rule_runs;
DROP TABLE automation_rules;
