ALTER TABLE inboxes DROP COLUMN bsp_number;
