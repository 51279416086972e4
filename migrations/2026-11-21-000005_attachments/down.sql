DROP TABLE installation_secrets;
DROP TABLE attachments;
