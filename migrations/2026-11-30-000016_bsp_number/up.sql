-- What the BSP's getPhoneNumbers says of a WhatsApp inbox's number (verified name, display
-- number, quality rating, code verification), refreshed with the template sync.
ALTER TABLE inboxes ADD COLUMN bsp_number JSONB;
