ALTER TABLE webhook_deliveries DROP COLUMN attempt_until;
