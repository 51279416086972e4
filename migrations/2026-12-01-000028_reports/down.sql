DELETE FROM event_readers WHERE reader = 'reports';
DROP TABLE report_days;
DROP TABLE report_slots;
DROP TABLE report_conversations;
DROP TABLE report_inputs;
DROP TABLE reporting_events;
