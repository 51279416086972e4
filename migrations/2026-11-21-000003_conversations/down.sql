DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE account_counters;
