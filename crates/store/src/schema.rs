//! The tables, as diesel sees them (kept equal to `migrations/`).

// Hand-written to match migrations/. Every table is read and written by the integration tests, so a
// column that drifts from the SQL fails there.

diesel::table! {
    accounts (id) {
        id -> Int8,
        name -> Text,
        locale -> Text,
        domain -> Nullable<Text>,
        support_email -> Nullable<Text>,
        status -> Text,
        limits -> Jsonb,
        custom_attributes -> Jsonb,
        settings -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        slug -> Nullable<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Int8,
        account_id -> Int8,
        name -> Text,
        key_digest -> Text,
        last_four -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        name -> Text,
        display_name -> Nullable<Text>,
        email -> Text,
        password_hash -> Nullable<Text>,
        pubsub_token -> Text,
        access_token -> Text,
        message_signature -> Nullable<Text>,
        ui_settings -> Jsonb,
        custom_attributes -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    user_sessions (id) {
        id -> Int8,
        user_id -> Int8,
        client -> Text,
        token_hash -> Text,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    agent_bots (id) {
        id -> Int8,
        account_id -> Nullable<Int8>,
        name -> Text,
        description -> Nullable<Text>,
        outgoing_url -> Nullable<Text>,
        bot_type -> Text,
        bot_config -> Jsonb,
        avatar_url -> Nullable<Text>,
        access_token -> Text,
        secret -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    agent_bot_inboxes (inbox_id) {
        inbox_id -> Int8,
        agent_bot_id -> Int8,
        account_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    csat_survey_responses (id) {
        id -> Int8,
        account_id -> Int8,
        inbox_id -> Int8,
        conversation_id -> Int8,
        message_id -> Int8,
        contact_id -> Int8,
        assigned_agent_id -> Nullable<Int8>,
        rating -> Int2,
        feedback_message -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    canned_responses (id) {
        id -> Int8,
        account_id -> Int8,
        short_code -> Text,
        content -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    custom_attribute_definitions (id) {
        id -> Int8,
        account_id -> Int8,
        attribute_display_name -> Text,
        attribute_key -> Text,
        attribute_description -> Nullable<Text>,
        attribute_display_type -> Text,
        attribute_model -> Text,
        attribute_values -> Jsonb,
        regex_pattern -> Nullable<Text>,
        regex_cue -> Nullable<Text>,
        default_value -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    automation_rules (id) {
        id -> Int8,
        account_id -> Int8,
        name -> Text,
        description -> Text,
        event_name -> Text,
        conditions -> Jsonb,
        actions -> Jsonb,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    automation_rule_runs (id) {
        id -> Int8,
        account_id -> Int8,
        rule_id -> Int8,
        seq -> Int8,
        event_name -> Text,
        conversation_id -> Nullable<Int8>,
        depth -> Int2,
        conditions -> Jsonb,
        actions -> Jsonb,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_logs (id) {
        id -> Int8,
        account_id -> Int8,
        auditable_type -> Text,
        auditable_id -> Nullable<Int8>,
        action -> Text,
        user_id -> Nullable<Int8>,
        user_type -> Nullable<Text>,
        username -> Nullable<Text>,
        audited_changes -> Jsonb,
        remote_address -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    macros (id) {
        id -> Int8,
        account_id -> Int8,
        name -> Text,
        visibility -> Text,
        created_by_id -> Nullable<Int8>,
        updated_by_id -> Nullable<Int8>,
        actions -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    scheduled_messages (id) {
        id -> Int8,
        account_id -> Int8,
        conversation_id -> Int8,
        inbox_id -> Int8,
        author_id -> Nullable<Int8>,
        content -> Nullable<Text>,
        template_params -> Nullable<Jsonb>,
        upload_id -> Nullable<Int8>,
        status -> Text,
        scheduled_at -> Timestamptz,
        recurrence -> Nullable<Jsonb>,
        sends -> Int4,
        cancel_on_reply -> Bool,
        message_id -> Nullable<Int8>,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    uploads (id) {
        id -> Int8,
        account_id -> Int8,
        storage_key -> Text,
        file_name -> Text,
        content_type -> Text,
        size -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    custom_filters (id) {
        id -> Int8,
        account_id -> Int8,
        user_id -> Int8,
        name -> Text,
        filter_type -> Text,
        query -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    platform_apps (id) {
        id -> Int8,
        name -> Text,
        access_token -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    platform_app_permissibles (id) {
        id -> Int8,
        platform_app_id -> Int8,
        permissible_type -> Text,
        permissible_id -> Int8,
    }
}

diesel::table! {
    account_users (id) {
        id -> Int8,
        account_id -> Int8,
        user_id -> Int8,
        role -> Text,
        availability -> Text,
        auto_offline -> Bool,
        inviter_id -> Nullable<Int8>,
        active_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    inboxes (id) {
        id -> Int8,
        account_id -> Int8,
        name -> Text,
        channel_type -> Text,
        inbox_identifier -> Text,
        webhook_url -> Nullable<Text>,
        hmac_token -> Text,
        hmac_mandatory -> Bool,
        secret -> Text,
        channel_attributes -> Jsonb,
        greeting_enabled -> Bool,
        greeting_message -> Nullable<Text>,
        enable_email_collect -> Bool,
        csat_survey_enabled -> Bool,
        enable_auto_assignment -> Bool,
        auto_assignment_config -> Jsonb,
        working_hours_enabled -> Bool,
        working_hours -> Jsonb,
        out_of_office_message -> Nullable<Text>,
        timezone -> Text,
        allow_messages_after_resolved -> Bool,
        lock_to_single_conversation -> Bool,
        sender_name_type -> Text,
        business_name -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        phone_number -> Nullable<Text>,
        provider -> Nullable<Text>,
        provider_config -> Jsonb,
        webhook_token -> Nullable<Text>,
        message_templates_synced_at -> Nullable<Timestamptz>,
        bsp_number -> Nullable<Jsonb>,
    }
}

diesel::table! {
    inbox_members (id) {
        id -> Int8,
        inbox_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    teams (id) {
        id -> Int8,
        account_id -> Int8,
        name -> Text,
        description -> Nullable<Text>,
        allow_auto_assign -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    team_members (id) {
        id -> Int8,
        team_id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    labels (id) {
        id -> Int8,
        account_id -> Int8,
        title -> Text,
        description -> Nullable<Text>,
        color -> Text,
        show_on_sidebar -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        account_id -> Int8,
        user_id -> Int8,
        notification_type -> Text,
        conversation_id -> Int8,
        secondary_actor_type -> Nullable<Text>,
        secondary_actor_id -> Nullable<Int8>,
        read_at -> Nullable<Timestamptz>,
        snoozed_until -> Nullable<Timestamptz>,
        last_activity_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(account_users -> accounts (account_id));
diesel::joinable!(account_users -> users (user_id));
diesel::joinable!(user_sessions -> users (user_id));
diesel::joinable!(inboxes -> accounts (account_id));
diesel::joinable!(inbox_members -> inboxes (inbox_id));
diesel::joinable!(inbox_members -> users (user_id));
diesel::joinable!(teams -> accounts (account_id));
diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(labels -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    agent_bots,
    agent_bot_inboxes,
    canned_responses,
    custom_attribute_definitions,
    custom_filters,
    automation_rules,
    automation_rule_runs,
    uploads,
    audit_logs,
    macros,
    scheduled_messages,
    csat_survey_responses,
    webhooks,
    webhook_deliveries,
    webhook_attempts,
    accounts,
    users,
    user_sessions,
    platform_apps,
    platform_app_permissibles,
    account_users,
    inboxes,
    inbox_members,
    teams,
    team_members,
    labels,
    contacts,
    contact_inboxes,
    account_counters,
    conversations,
    messages,
    mentions,
    attachments,
    installation_secrets,
    event_counters,
    realtime_events,
    event_outbox,
    message_templates,
    jobs,
    send_slots,
    notifications,
    group_members,
);

diesel::table! {
    message_templates (id) {
        id -> Int8,
        account_id -> Int8,
        inbox_id -> Int8,
        external_id -> Nullable<Text>,
        name -> Text,
        language -> Text,
        status -> Text,
        category -> Nullable<Text>,
        previous_category -> Nullable<Text>,
        reason -> Nullable<Text>,
        components -> Jsonb,
        metrics -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    jobs (id) {
        id -> Int8,
        kind -> Text,
        payload -> Jsonb,
        attempts -> Int4,
        run_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        started_at -> Nullable<Timestamptz>,
        dead_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    send_slots (inbox_id, second) {
        inbox_id -> Int8,
        second -> Int8,
        used -> Int4,
    }
}

diesel::table! {
    contacts (id) {
        id -> Int8,
        account_id -> Int8,
        name -> Text,
        email -> Nullable<Text>,
        phone_number -> Nullable<Text>,
        identifier -> Nullable<Text>,
        thumbnail -> Text,
        blocked -> Bool,
        group_type -> Text,
        additional_attributes -> Jsonb,
        custom_attributes -> Jsonb,
        labels -> Array<Text>,
        last_activity_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    group_members (id) {
        id -> Int8,
        account_id -> Int8,
        group_contact_id -> Int8,
        contact_id -> Int8,
        role -> Text,
        is_active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    contact_inboxes (id) {
        id -> Int8,
        contact_id -> Int8,
        inbox_id -> Int8,
        source_id -> Text,
        pubsub_token -> Text,
        hmac_verified -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        group_left_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(contacts -> accounts (account_id));
diesel::joinable!(contact_inboxes -> contacts (contact_id));
diesel::joinable!(contact_inboxes -> inboxes (inbox_id));

diesel::table! {
    account_counters (account_id) {
        account_id -> Int8,
        last_conversation_display_id -> Int8,
    }
}

diesel::table! {
    conversations (id) {
        id -> Int8,
        account_id -> Int8,
        display_id -> Int8,
        inbox_id -> Int8,
        contact_id -> Int8,
        contact_inbox_id -> Nullable<Int8>,
        assignee_id -> Nullable<Int8>,
        team_id -> Nullable<Int8>,
        status -> Text,
        priority -> Nullable<Text>,
        group_type -> Text,
        snoozed_until -> Nullable<Timestamptz>,
        labels -> Array<Text>,
        uuid -> Text,
        additional_attributes -> Jsonb,
        custom_attributes -> Jsonb,
        last_activity_at -> Timestamptz,
        waiting_since -> Nullable<Timestamptz>,
        first_reply_created_at -> Nullable<Timestamptz>,
        agent_last_seen_at -> Nullable<Timestamptz>,
        assignee_last_seen_at -> Nullable<Timestamptz>,
        contact_last_seen_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        muted -> Bool,
    }
}

diesel::table! {
    messages (id) {
        id -> Int8,
        account_id -> Int8,
        inbox_id -> Int8,
        conversation_id -> Int8,
        message_type -> Int2,
        content -> Nullable<Text>,
        content_type -> Text,
        content_attributes -> Jsonb,
        additional_attributes -> Jsonb,
        private -> Bool,
        status -> Text,
        source_id -> Nullable<Text>,
        sender_type -> Nullable<Text>,
        sender_id -> Nullable<Int8>,
        external_error -> Nullable<Text>,
        echo_id -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    mentions (id) {
        id -> Int8,
        account_id -> Int8,
        user_id -> Int8,
        conversation_id -> Int8,
        message_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    attachments (id) {
        id -> Int8,
        account_id -> Int8,
        message_id -> Int8,
        file_type -> Text,
        content_type -> Text,
        file_name -> Text,
        file_size -> Int8,
        storage_key -> Nullable<Text>,
        external_url -> Nullable<Text>,
        meta -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    installation_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    event_counters (account_id) {
        account_id -> Int8,
        last_seq -> Int8,
    }
}

diesel::table! {
    realtime_events (account_id, seq) {
        account_id -> Int8,
        seq -> Int8,
        event -> Text,
        data -> Jsonb,
        audience -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(conversations -> inboxes (inbox_id));
diesel::joinable!(conversations -> contacts (contact_id));
diesel::joinable!(messages -> conversations (conversation_id));

diesel::table! {
    event_outbox (id) {
        id -> Int8,
        account_id -> Int8,
        event -> Text,
        data -> Jsonb,
        audience -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Int8,
        account_id -> Int8,
        inbox_id -> Nullable<Int8>,
        name -> Nullable<Text>,
        url -> Text,
        subscriptions -> Array<Text>,
        secret -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        disabled_at -> Nullable<Timestamptz>,
        failing_since -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        agent_bot_id -> Nullable<Int8>,
        automation_rule_id -> Nullable<Int8>,
        macro_id -> Nullable<Int8>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        account_id -> Int8,
        webhook_id -> Int8,
        seq -> Int8,
        event -> Text,
        ordering_key -> Nullable<Text>,
        uuid -> Text,
        body -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        last_duration_ms -> Nullable<Int4>,
        delivered_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        attempt_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        delivery_id -> Int8,
        attempted_at -> Timestamptz,
        status_code -> Nullable<Int4>,
        duration_ms -> Int4,
        error -> Nullable<Text>,
        next_retry_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(agent_bot_inboxes -> agent_bots (agent_bot_id));

diesel::table! {
    reporting_events (id) {
        id -> Int8,
        account_id -> Int8,
        seq -> Int8,
        name -> Text,
        value -> Float8,
        value_in_business_hours -> Float8,
        event_start_time -> Timestamptz,
        event_end_time -> Timestamptz,
        conversation_id -> Nullable<Int8>,
        inbox_id -> Nullable<Int8>,
        user_id -> Nullable<Int8>,
    }
}

diesel::table! {
    portals (id) {
        id -> Int8,
        account_id -> Int8,
        name -> Text,
        slug -> Text,
        custom_domain -> Nullable<Text>,
        color -> Nullable<Text>,
        header_text -> Nullable<Text>,
        page_title -> Nullable<Text>,
        homepage_link -> Nullable<Text>,
        archived -> Bool,
        config -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    portal_categories (id) {
        id -> Int8,
        account_id -> Int8,
        portal_id -> Int8,
        name -> Text,
        slug -> Text,
        description -> Nullable<Text>,
        locale -> Text,
        position -> Int4,
        icon -> Nullable<Text>,
        parent_category_id -> Nullable<Int8>,
        associated_category_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

// `search` (the tsvector a trigger keeps) is read only by SQL of store::help_center.
diesel::table! {
    articles (id) {
        id -> Int8,
        account_id -> Int8,
        portal_id -> Int8,
        category_id -> Nullable<Int8>,
        author_id -> Nullable<Int8>,
        associated_article_id -> Nullable<Int8>,
        title -> Text,
        slug -> Text,
        content -> Text,
        description -> Nullable<Text>,
        status -> Text,
        position -> Int4,
        locale -> Text,
        meta -> Jsonb,
        views -> Int8,
        search_language -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}
