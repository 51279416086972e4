-- Custom attribute definitions (issue: agent workflow): an account's typed keys for contacts'
-- and conversations' custom_attributes. Writes check defined keys; undefined keys stay free.
CREATE TABLE custom_attribute_definitions (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    attribute_display_name TEXT NOT NULL,
    attribute_key TEXT NOT NULL,
    attribute_description TEXT,
    -- text, number, currency, percent, link, date, list, checkbox
    attribute_display_type TEXT NOT NULL,
    -- conversation_attribute or contact_attribute
    attribute_model TEXT NOT NULL,
    attribute_values JSONB NOT NULL DEFAULT '[]',
    regex_pattern TEXT,
    regex_cue TEXT,
    default_value JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT custom_attribute_definitions_key_key UNIQUE (account_id, attribute_model, attribute_key)
);
