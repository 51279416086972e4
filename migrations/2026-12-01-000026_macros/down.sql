DROP SEQUENCE macro_executions;
DROP INDEX webhooks_macro_url_idx;
ALTER TABLE webhooks DROP COLUMN macro_id;
DROP TABLE macros;
