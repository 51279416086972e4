//! Every route the app serves. One table feeds both actix and `ROUTES`, which a test compares
//! with `openapi/openapi.json`, so the document cannot drift from what is served.

use actix_web::http::Method;
use actix_web::web;

use crate::handlers::*;

macro_rules! routes {
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        /// (method, path) of every route, in actix path syntax.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::method(Method::$method).to($handler));)*
        }
    };
}

routes! {
    GET "/health" => health::health,
    GET "/ready" => health::ready,

    GET "/attachments/{id}/{file_name}" => attachments::download,
    GET "/avatars/{account_id}/{name}" => avatars::show,
    GET "/api/conversations" => integrations::conversations,
    GET "/retailers/api/v1/agents" => retailer::agents,
    GET "/retailers/api/v1/customers" => retailer::customers,
    POST "/retailers/api/v1/customers" => retailer::create_customer,
    GET "/retailers/api/v1/customers/{id}" => retailer::customer,
    PUT "/retailers/api/v1/customers/{id}" => retailer::update_customer,
    GET "/retailers/api/v1/messenger_conversations" => retailer::messenger_conversations,
    GET "/retailers/api/v1/whatsapp_templates" => retailer::templates,
    GET "/retailers/api/v1/whatsapp_conversations" => retailer::whatsapp_conversations,
    GET "/retailers/api/v1/customers/{id}/whatsapp_conversations" => retailer::customer_whatsapp,
    POST "/retailers/api/v1/whatsapp/send_notification_by_id" => retailer::send_notification,
    GET "/retailers/api/v1/customers/{id}/messenger_conversations" => retailer::customer_messenger_conversations,
    GET "/cable" => crate::cable::not_upgraded,
    POST "/webhooks/whatsapp/{token}" => whatsapp::webhook,

    POST "/auth/sign_in" => auth::sign_in,
    DELETE "/auth/sign_out" => auth::sign_out,

    POST "/platform/api/v1/accounts" => platform_accounts::create,
    GET "/platform/api/v1/accounts/{account_id}" => platform_accounts::show,
    PATCH "/platform/api/v1/accounts/{account_id}" => platform_accounts::update,
    DELETE "/platform/api/v1/accounts/{account_id}" => platform_accounts::delete,
    GET "/platform/api/v1/accounts/{account_id}/account_users" => platform_accounts::list_users,
    POST "/platform/api/v1/accounts/{account_id}/account_users" => platform_accounts::add_user,
    DELETE "/platform/api/v1/accounts/{account_id}/account_users" => platform_accounts::remove_user,
    POST "/platform/api/v1/users" => platform_users::create,
    GET "/platform/api/v1/users/{id}" => platform_users::show,
    PATCH "/platform/api/v1/users/{id}" => platform_users::update,
    DELETE "/platform/api/v1/users/{id}" => platform_users::delete,

    GET "/api/v1/profile" => profile::show,
    PUT "/api/v1/profile" => profile::update,

    GET "/api/v1/accounts/{account_id}" => accounts::show,
    PATCH "/api/v1/accounts/{account_id}" => accounts::update,

    GET "/api/v1/accounts/{account_id}/agents" => agents::list,
    POST "/api/v1/accounts/{account_id}/agents" => agents::create,
    PATCH "/api/v1/accounts/{account_id}/agents/{id}" => agents::update,
    DELETE "/api/v1/accounts/{account_id}/agents/{id}" => agents::delete,

    GET "/api/v1/accounts/{account_id}/inboxes" => inboxes::list,
    POST "/api/v1/accounts/{account_id}/inboxes" => inboxes::create,
    GET "/api/v1/accounts/{account_id}/inboxes/{id}" => inboxes::show,
    PATCH "/api/v1/accounts/{account_id}/inboxes/{id}" => inboxes::update,
    DELETE "/api/v1/accounts/{account_id}/inboxes/{id}" => inboxes::delete,
    POST "/api/v1/accounts/{account_id}/inboxes/{id}/sync_templates" => whatsapp::sync,
    GET "/api/v1/accounts/{account_id}/inboxes/{id}/whatsapp_analytics" => whatsapp::analytics,
    GET "/api/v1/accounts/{account_id}/inboxes/{id}/message_templates" => whatsapp::list,
    POST "/api/v1/accounts/{account_id}/inboxes/{id}/message_templates" => whatsapp::create,
    DELETE "/api/v1/accounts/{account_id}/inboxes/{id}/message_templates/{name}" => whatsapp::delete,

    GET "/api/v1/accounts/{account_id}/inbox_members/{inbox_id}" => inbox_members::list,
    POST "/api/v1/accounts/{account_id}/inbox_members" => inbox_members::add,
    PATCH "/api/v1/accounts/{account_id}/inbox_members" => inbox_members::update,
    DELETE "/api/v1/accounts/{account_id}/inbox_members" => inbox_members::remove,

    GET "/api/v1/accounts/{account_id}/teams" => teams::list,
    POST "/api/v1/accounts/{account_id}/teams" => teams::create,
    GET "/api/v1/accounts/{account_id}/teams/{team_id}" => teams::show,
    PATCH "/api/v1/accounts/{account_id}/teams/{team_id}" => teams::update,
    DELETE "/api/v1/accounts/{account_id}/teams/{team_id}" => teams::delete,
    GET "/api/v1/accounts/{account_id}/teams/{team_id}/team_members" => team_members::list,
    POST "/api/v1/accounts/{account_id}/teams/{team_id}/team_members" => team_members::add,
    PATCH "/api/v1/accounts/{account_id}/teams/{team_id}/team_members" => team_members::update,
    DELETE "/api/v1/accounts/{account_id}/teams/{team_id}/team_members" => team_members::remove,

    GET "/api/v1/accounts/{account_id}/contacts" => contacts::list,
    POST "/api/v1/accounts/{account_id}/contacts" => contacts::create,
    GET "/api/v1/accounts/{account_id}/contacts/search" => contacts::search,
    POST "/api/v1/accounts/{account_id}/contacts/filter" => contacts::filter,
    POST "/api/v1/accounts/{account_id}/actions/contact_merge" => contacts::merge,
    GET "/api/v1/accounts/{account_id}/contacts/{id}" => contacts::show,
    PUT "/api/v1/accounts/{account_id}/contacts/{id}" => contacts::update,
    DELETE "/api/v1/accounts/{account_id}/contacts/{id}" => contacts::delete,
    GET "/api/v1/accounts/{account_id}/contacts/{id}/labels" => contacts::labels,
    POST "/api/v1/accounts/{account_id}/contacts/{id}/labels" => contacts::set_labels,
    POST "/api/v1/accounts/{account_id}/contacts/{id}/contact_inboxes" => contacts::add_inbox,
    GET "/api/v1/accounts/{account_id}/contacts/{id}/contactable_inboxes" => contacts::contactable_inboxes,
    GET "/api/v1/accounts/{account_id}/contacts/{id}/conversations" => conversations::of_contact,
    POST "/api/v1/accounts/{account_id}/contacts/{id}/sync_group" => groups::sync,
    GET "/api/v1/accounts/{account_id}/contacts/{id}/group_members" => groups::members,
    POST "/api/v1/accounts/{account_id}/contacts/{id}/group_members" => groups::add_members,
    PATCH "/api/v1/accounts/{account_id}/contacts/{id}/group_members/{member_id}" => groups::update_member,
    DELETE "/api/v1/accounts/{account_id}/contacts/{id}/group_members/{member_id}" => groups::remove_member,
    PATCH "/api/v1/accounts/{account_id}/contacts/{id}/group_metadata" => groups::update_metadata,
    GET "/api/v1/accounts/{account_id}/contacts/{id}/group_invite" => groups::invite,
    POST "/api/v1/accounts/{account_id}/contacts/{id}/group_invite/revoke" => groups::revoke_invite,
    GET "/api/v1/accounts/{account_id}/contacts/{id}/group_join_requests" => groups::join_requests,
    POST "/api/v1/accounts/{account_id}/contacts/{id}/group_join_requests/handle" => groups::handle_join_requests,
    PATCH "/api/v1/accounts/{account_id}/contacts/{id}/group_admin" => groups::update_setting,
    POST "/api/v1/accounts/{account_id}/contacts/{id}/group_admin/leave" => groups::leave,
    POST "/api/v1/accounts/{account_id}/groups" => groups::create,
    GET "/api/v1/accounts/{account_id}/api_keys" => api_keys::list,
    POST "/api/v1/accounts/{account_id}/api_keys" => api_keys::create,
    DELETE "/api/v1/accounts/{account_id}/api_keys/{key_id}" => api_keys::delete,

    GET "/api/v1/accounts/{account_id}/conversations" => conversations::list,
    POST "/api/v1/accounts/{account_id}/conversations" => conversations::create,
    GET "/api/v1/accounts/{account_id}/conversations/meta" => conversations::meta,
    POST "/api/v1/accounts/{account_id}/conversations/filter" => conversations::filter_list,
    GET "/api/v1/accounts/{account_id}/conversations/{conversation_id}" => conversations::show,
    PATCH "/api/v1/accounts/{account_id}/conversations/{conversation_id}" => conversations::update,
    POST "/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_status" => conversations::toggle_status,
    POST "/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_priority" => conversations::toggle_priority,
    POST "/api/v1/accounts/{account_id}/conversations/{conversation_id}/assignments" => conversations::assignments,
    GET "/api/v1/accounts/{account_id}/conversations/{conversation_id}/labels" => conversations::labels,
    POST "/api/v1/accounts/{account_id}/conversations/{conversation_id}/labels" => conversations::set_labels,
    POST "/api/v1/accounts/{account_id}/conversations/{conversation_id}/custom_attributes" => conversations::custom_attributes,
    POST "/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_typing_status" => conversations::toggle_typing_status,
    POST "/api/v1/accounts/{account_id}/conversations/{conversation_id}/update_last_seen" => conversations::update_last_seen,
    GET "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages" => messages::list,
    POST "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages" => messages::create,
    DELETE "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages/{message_id}" => messages::delete,

    GET "/api/v1/accounts/{account_id}/webhooks" => webhooks::list,
    POST "/api/v1/accounts/{account_id}/webhooks" => webhooks::create,
    PATCH "/api/v1/accounts/{account_id}/webhooks/{webhook_id}" => webhooks::update,
    DELETE "/api/v1/accounts/{account_id}/webhooks/{webhook_id}" => webhooks::delete,
    POST "/api/v1/accounts/{account_id}/webhooks/{webhook_id}/rotate_secret" => webhooks::rotate_secret,
    GET "/api/v1/accounts/{account_id}/webhooks/{webhook_id}/deliveries" => webhooks::deliveries,
    POST "/api/v1/accounts/{account_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver" => webhooks::redeliver,
    GET "/api/v1/accounts/{account_id}/labels" => labels::list,
    POST "/api/v1/accounts/{account_id}/labels" => labels::create,
    GET "/api/v1/accounts/{account_id}/labels/{id}" => labels::show,
    PATCH "/api/v1/accounts/{account_id}/labels/{id}" => labels::update,
    DELETE "/api/v1/accounts/{account_id}/labels/{id}" => labels::delete,

    GET "/api/v1/accounts/{account_id}/notifications" => notifications::list,
    GET "/api/v1/accounts/{account_id}/notifications/unread_count" => notifications::unread_count,
    POST "/api/v1/accounts/{account_id}/notifications/read_all" => notifications::read_all,
    PATCH "/api/v1/accounts/{account_id}/notifications/{id}" => notifications::update,
    DELETE "/api/v1/accounts/{account_id}/notifications/{id}" => notifications::delete,
}
