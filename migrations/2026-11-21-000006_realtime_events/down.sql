DROP TABLE realtime_events;
DROP TABLE event_counters;
