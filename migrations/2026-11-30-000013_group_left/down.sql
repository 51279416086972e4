ALTER TABLE contact_inboxes DROP COLUMN group_left_at;
