DROP INDEX jobs_webhook_delivery_idx;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE event_readers;
DROP TABLE webhooks;
