DELETE FROM platform_app_permissibles WHERE permissible_type = 'agent_bot';
ALTER TABLE platform_app_permissibles DROP CONSTRAINT platform_app_permissibles_permissible_type_check;
ALTER TABLE platform_app_permissibles ADD CONSTRAINT platform_app_permissibles_permissible_type_check
    CHECK (permissible_type IN ('account', 'user'));
DROP INDEX webhooks_agent_bot_idx;
DROP INDEX webhooks_inbox_bot_idx;
DROP INDEX webhooks_inbox_idx;
DELETE FROM webhooks WHERE agent_bot_id IS NOT NULL;
ALTER TABLE webhooks DROP COLUMN agent_bot_id;
CREATE UNIQUE INDEX webhooks_inbox_idx ON webhooks (inbox_id) WHERE inbox_id IS NOT NULL;
DROP TABLE agent_bot_inboxes;
DROP TABLE agent_bots;
