DROP TRIGGER audit_logs_append_only ON audit_logs;
DROP FUNCTION audit_logs_append_only();
DROP TABLE audit_logs;
