DROP INDEX conversations_uuid_idx;
DROP INDEX messages_csat_idx;
DROP TABLE csat_survey_responses;
