DROP TABLE contact_inboxes;
DROP TABLE contacts;
