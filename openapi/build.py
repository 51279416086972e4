#!/usr/bin/env python3
"""Regenerates openapi.json: the reference's operations for the routes Switchboard serves, plus
Switchboard's own. Run after adding a route: python3 openapi/build.py ../shared/specs/chatwoot-openapi.json

The list below is maintained by hand on purpose: tests/api/openapi.rs fails when it and the
served routes (crates/api/src/routes.rs) disagree."""
import json, sys, copy, os

spec_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'specs', 'chatwoot-openapi.json')
ref = json.load(open(spec_path))

# (method, our path, reference path or None when the operation is ours)
FROM_REFERENCE = [
    ('post', '/platform/api/v1/accounts', '/platform/api/v1/accounts'),
    ('get', '/platform/api/v1/accounts/{account_id}', '/platform/api/v1/accounts/{account_id}'),
    ('patch', '/platform/api/v1/accounts/{account_id}', '/platform/api/v1/accounts/{account_id}'),
    ('delete', '/platform/api/v1/accounts/{account_id}', '/platform/api/v1/accounts/{account_id}'),
    ('get', '/platform/api/v1/accounts/{account_id}/account_users', '/platform/api/v1/accounts/{account_id}/account_users'),
    ('post', '/platform/api/v1/accounts/{account_id}/account_users', '/platform/api/v1/accounts/{account_id}/account_users'),
    ('delete', '/platform/api/v1/accounts/{account_id}/account_users', '/platform/api/v1/accounts/{account_id}/account_users'),
    ('post', '/platform/api/v1/users', '/platform/api/v1/users'),
    ('get', '/platform/api/v1/users/{id}', '/platform/api/v1/users/{id}'),
    ('patch', '/platform/api/v1/users/{id}', '/platform/api/v1/users/{id}'),
    ('delete', '/platform/api/v1/users/{id}', '/platform/api/v1/users/{id}'),
    ('get', '/api/v1/profile', '/api/v1/profile'),
    ('get', '/api/v1/accounts/{account_id}', '/api/v1/accounts/{id}'),
    ('patch', '/api/v1/accounts/{account_id}', '/api/v1/accounts/{id}'),
    ('get', '/api/v1/accounts/{account_id}/agents', '/api/v1/accounts/{account_id}/agents'),
    ('post', '/api/v1/accounts/{account_id}/agents', '/api/v1/accounts/{account_id}/agents'),
    ('patch', '/api/v1/accounts/{account_id}/agents/{id}', '/api/v1/accounts/{account_id}/agents/{id}'),
    ('delete', '/api/v1/accounts/{account_id}/agents/{id}', '/api/v1/accounts/{account_id}/agents/{id}'),
    ('get', '/api/v1/accounts/{account_id}/inboxes', '/api/v1/accounts/{account_id}/inboxes'),
    ('post', '/api/v1/accounts/{account_id}/inboxes', '/api/v1/accounts/{account_id}/inboxes/'),
    ('get', '/api/v1/accounts/{account_id}/inboxes/{id}', '/api/v1/accounts/{account_id}/inboxes/{id}/'),
    ('patch', '/api/v1/accounts/{account_id}/inboxes/{id}', '/api/v1/accounts/{account_id}/inboxes/{id}'),
    ('get', '/api/v1/accounts/{account_id}/inbox_members/{inbox_id}', '/api/v1/accounts/{account_id}/inbox_members/{inbox_id}'),
    ('post', '/api/v1/accounts/{account_id}/inbox_members', '/api/v1/accounts/{account_id}/inbox_members'),
    ('patch', '/api/v1/accounts/{account_id}/inbox_members', '/api/v1/accounts/{account_id}/inbox_members'),
    ('delete', '/api/v1/accounts/{account_id}/inbox_members', '/api/v1/accounts/{account_id}/inbox_members'),
    ('get', '/api/v1/accounts/{account_id}/teams', '/api/v1/accounts/{account_id}/teams'),
    ('post', '/api/v1/accounts/{account_id}/teams', '/api/v1/accounts/{account_id}/teams'),
    ('get', '/api/v1/accounts/{account_id}/teams/{team_id}', '/api/v1/accounts/{account_id}/teams/{team_id}'),
    ('patch', '/api/v1/accounts/{account_id}/teams/{team_id}', '/api/v1/accounts/{account_id}/teams/{team_id}'),
    ('delete', '/api/v1/accounts/{account_id}/teams/{team_id}', '/api/v1/accounts/{account_id}/teams/{team_id}'),
    ('get', '/api/v1/accounts/{account_id}/teams/{team_id}/team_members', '/api/v1/accounts/{account_id}/teams/{team_id}/team_members'),
    ('post', '/api/v1/accounts/{account_id}/teams/{team_id}/team_members', '/api/v1/accounts/{account_id}/teams/{team_id}/team_members'),
    ('patch', '/api/v1/accounts/{account_id}/teams/{team_id}/team_members', '/api/v1/accounts/{account_id}/teams/{team_id}/team_members'),
    ('delete', '/api/v1/accounts/{account_id}/teams/{team_id}/team_members', '/api/v1/accounts/{account_id}/teams/{team_id}/team_members'),
    ('get', '/api/v1/accounts/{account_id}/contacts', '/api/v1/accounts/{account_id}/contacts'),
    ('post', '/api/v1/accounts/{account_id}/contacts', '/api/v1/accounts/{account_id}/contacts'),
    ('get', '/api/v1/accounts/{account_id}/contacts/search', '/api/v1/accounts/{account_id}/contacts/search'),
    ('get', '/api/v1/accounts/{account_id}/contacts/{id}', '/api/v1/accounts/{account_id}/contacts/{id}'),
    ('put', '/api/v1/accounts/{account_id}/contacts/{id}', '/api/v1/accounts/{account_id}/contacts/{id}'),
    ('delete', '/api/v1/accounts/{account_id}/contacts/{id}', '/api/v1/accounts/{account_id}/contacts/{id}'),
    ('get', '/api/v1/accounts/{account_id}/contacts/{id}/labels', '/api/v1/accounts/{account_id}/contacts/{id}/labels'),
    ('post', '/api/v1/accounts/{account_id}/contacts/{id}/labels', '/api/v1/accounts/{account_id}/contacts/{id}/labels'),
    ('post', '/api/v1/accounts/{account_id}/contacts/{id}/contact_inboxes', '/api/v1/accounts/{account_id}/contacts/{id}/contact_inboxes'),
    ('get', '/api/v1/accounts/{account_id}/contacts/{id}/contactable_inboxes', '/api/v1/accounts/{account_id}/contacts/{id}/contactable_inboxes'),
    ('get', '/api/v1/accounts/{account_id}/conversations', '/api/v1/accounts/{account_id}/conversations'),
    ('post', '/api/v1/accounts/{account_id}/conversations', '/api/v1/accounts/{account_id}/conversations'),
    ('get', '/api/v1/accounts/{account_id}/conversations/meta', '/api/v1/accounts/{account_id}/conversations/meta'),
    ('get', '/api/v1/accounts/{account_id}/conversations/{conversation_id}', '/api/v1/accounts/{account_id}/conversations/{conversation_id}'),
    ('patch', '/api/v1/accounts/{account_id}/conversations/{conversation_id}', '/api/v1/accounts/{account_id}/conversations/{conversation_id}'),
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_status', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_status'),
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_priority', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_priority'),
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/custom_attributes', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/custom_attributes'),
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/assignments', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/assignments'),
    ('get', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/labels', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/labels'),
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/labels', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/labels'),
    ('get', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages'),
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages'),
    ('delete', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages/{message_id}', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages/{message_id}'),
    ('get', '/api/v1/accounts/{account_id}/contacts/{id}/conversations', '/api/v1/accounts/{account_id}/contacts/{id}/conversations'),
    ('post', '/api/v1/accounts/{account_id}/contacts/{id}/sync_group', '/api/v1/accounts/{account_id}/contacts/{id}/sync_group'),
    ('get', '/api/v1/accounts/{account_id}/contacts/{id}/group_members', '/api/v1/accounts/{account_id}/contacts/{id}/group_members'),
    ('post', '/api/v1/accounts/{account_id}/contacts/{id}/group_members', '/api/v1/accounts/{account_id}/contacts/{id}/group_members'),
    ('patch', '/api/v1/accounts/{account_id}/contacts/{id}/group_members/{member_id}', '/api/v1/accounts/{account_id}/contacts/{id}/group_members/{member_id}'),
    ('delete', '/api/v1/accounts/{account_id}/contacts/{id}/group_members/{member_id}', '/api/v1/accounts/{account_id}/contacts/{id}/group_members/{member_id}'),
    ('patch', '/api/v1/accounts/{account_id}/contacts/{id}/group_metadata', '/api/v1/accounts/{account_id}/contacts/{id}/group_metadata'),
    ('get', '/api/v1/accounts/{account_id}/contacts/{id}/group_invite', '/api/v1/accounts/{account_id}/contacts/{id}/group_invite'),
    ('post', '/api/v1/accounts/{account_id}/contacts/{id}/group_invite/revoke', '/api/v1/accounts/{account_id}/contacts/{id}/group_invite/revoke'),
    ('get', '/api/v1/accounts/{account_id}/contacts/{id}/group_join_requests', '/api/v1/accounts/{account_id}/contacts/{id}/group_join_requests'),
    ('post', '/api/v1/accounts/{account_id}/contacts/{id}/group_join_requests/handle', '/api/v1/accounts/{account_id}/contacts/{id}/group_join_requests/handle'),
    ('patch', '/api/v1/accounts/{account_id}/contacts/{id}/group_admin', '/api/v1/accounts/{account_id}/contacts/{id}/group_admin'),
    ('post', '/api/v1/accounts/{account_id}/contacts/{id}/group_admin/leave', '/api/v1/accounts/{account_id}/contacts/{id}/group_admin/leave'),
    ('post', '/api/v1/accounts/{account_id}/groups', '/api/v1/accounts/{account_id}/groups'),
    ('post', '/api/v1/accounts/{account_id}/contacts/filter', '/api/v1/accounts/{account_id}/contacts/filter'),
    ('post', '/api/v1/accounts/{account_id}/actions/contact_merge', '/api/v1/accounts/{account_id}/actions/contact_merge'),
    ('post', '/api/v1/accounts/{account_id}/conversations/filter', '/api/v1/accounts/{account_id}/conversations/filter'),
    ('get', '/api/v1/accounts/{account_id}/webhooks', '/api/v1/accounts/{account_id}/webhooks'),
    ('post', '/api/v1/accounts/{account_id}/webhooks', '/api/v1/accounts/{account_id}/webhooks'),
    ('patch', '/api/v1/accounts/{account_id}/webhooks/{webhook_id}', '/api/v1/accounts/{account_id}/webhooks/{webhook_id}'),
    ('delete', '/api/v1/accounts/{account_id}/webhooks/{webhook_id}', '/api/v1/accounts/{account_id}/webhooks/{webhook_id}'),
    *[(m, '/platform/api/v1/agent_bots', '/platform/api/v1/agent_bots') for m in ('get', 'post')],
    *[(m, '/platform/api/v1/agent_bots/{id}', '/platform/api/v1/agent_bots/{id}') for m in ('get', 'patch', 'delete')],
    *[(m, '/api/v1/accounts/{account_id}/agent_bots', '/api/v1/accounts/{account_id}/agent_bots') for m in ('get', 'post')],
    *[(m, '/api/v1/accounts/{account_id}/agent_bots/{id}', '/api/v1/accounts/{account_id}/agent_bots/{id}') for m in ('get', 'patch', 'delete')],
    ('get', '/api/v1/accounts/{account_id}/inboxes/{id}/agent_bot', '/api/v1/accounts/{account_id}/inboxes/{id}/agent_bot'),
    ('post', '/api/v1/accounts/{account_id}/inboxes/{id}/set_agent_bot', '/api/v1/accounts/{account_id}/inboxes/{id}/set_agent_bot'),
    ('get', '/api/v1/accounts/{account_id}/integrations/apps', '/api/v1/accounts/{account_id}/integrations/apps'),
    ('post', '/api/v1/accounts/{account_id}/integrations/hooks', '/api/v1/accounts/{account_id}/integrations/hooks'),
    ('patch', '/api/v1/accounts/{account_id}/integrations/hooks/{hook_id}', '/api/v1/accounts/{account_id}/integrations/hooks/{hook_id}'),
    ('delete', '/api/v1/accounts/{account_id}/integrations/hooks/{hook_id}', '/api/v1/accounts/{account_id}/integrations/hooks/{hook_id}'),
    ('get', '/public/api/v1/inboxes/{inbox_identifier}', '/public/api/v1/inboxes/{inbox_identifier}'),
    ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts', '/public/api/v1/inboxes/{inbox_identifier}/contacts'),
    ('get', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}'),
    ('patch', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}'),
    ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations'),
    ('get', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations'),
    ('get', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}'),
    ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_status', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_status'),
    ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_typing', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_typing'),
    ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/update_last_seen', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/update_last_seen'),
    ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages'),
    ('get', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages'),
    ('patch', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages/{message_id}', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages/{message_id}'),
    ('get', '/survey/responses/{conversation_uuid}', '/survey/responses/{conversation_uuid}'),
    ('get', '/api/v1/accounts/{account_id}/canned_responses', '/api/v1/accounts/{account_id}/canned_responses'),
    ('post', '/api/v1/accounts/{account_id}/canned_responses', '/api/v1/accounts/{account_id}/canned_responses'),
    ('patch', '/api/v1/accounts/{account_id}/canned_responses/{id}', '/api/v1/accounts/{account_id}/canned_responses/{id}'),
    ('delete', '/api/v1/accounts/{account_id}/canned_responses/{id}', '/api/v1/accounts/{account_id}/canned_responses/{id}'),
    ('get', '/api/v1/accounts/{account_id}/custom_attribute_definitions', '/api/v1/accounts/{account_id}/custom_attribute_definitions'),
    ('post', '/api/v1/accounts/{account_id}/custom_attribute_definitions', '/api/v1/accounts/{account_id}/custom_attribute_definitions'),
    ('get', '/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}', '/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}'),
    ('patch', '/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}', '/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}'),
    ('delete', '/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}', '/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}'),
    ('get', '/api/v1/accounts/{account_id}/custom_filters', '/api/v1/accounts/{account_id}/custom_filters'),
    ('post', '/api/v1/accounts/{account_id}/custom_filters', '/api/v1/accounts/{account_id}/custom_filters'),
    ('get', '/api/v1/accounts/{account_id}/custom_filters/{custom_filter_id}', '/api/v1/accounts/{account_id}/custom_filters/{custom_filter_id}'),
    ('patch', '/api/v1/accounts/{account_id}/custom_filters/{custom_filter_id}', '/api/v1/accounts/{account_id}/custom_filters/{custom_filter_id}'),
    ('delete', '/api/v1/accounts/{account_id}/custom_filters/{custom_filter_id}', '/api/v1/accounts/{account_id}/custom_filters/{custom_filter_id}'),
    ('get', '/api/v1/accounts/{account_id}/automation_rules', '/api/v1/accounts/{account_id}/automation_rules'),
    ('post', '/api/v1/accounts/{account_id}/automation_rules', '/api/v1/accounts/{account_id}/automation_rules'),
    ('get', '/api/v1/accounts/{account_id}/automation_rules/{id}', '/api/v1/accounts/{account_id}/automation_rules/{id}'),
    ('patch', '/api/v1/accounts/{account_id}/automation_rules/{id}', '/api/v1/accounts/{account_id}/automation_rules/{id}'),
    ('delete', '/api/v1/accounts/{account_id}/automation_rules/{id}', '/api/v1/accounts/{account_id}/automation_rules/{id}'),
    ('get', '/api/v1/accounts/{account_id}/audit_logs', '/api/v1/accounts/{account_id}/audit_logs'),
    ('get', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages'),
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages'),
    ('patch', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages/{scheduled_message_id}', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages/{scheduled_message_id}'),
    ('delete', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages/{scheduled_message_id}', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages/{scheduled_message_id}'),
]

def resp(schema=None, desc='Success'):
    r = {'description': desc}
    if schema is not None:
        r['content'] = {'application/json': {'schema': schema}}
    return r

ERR = {'$ref': '#/components/schemas/bad_request_error'}
STD_ERRORS = {'401': resp(ERR, 'Unauthorized'), '404': resp(ERR, 'Not found'), '422': resp(ERR, 'Invalid body: names the field')}
ACC = {'$ref': '#/components/parameters/account_id'}
ID = {'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}}
LABEL = {'$ref': '#/components/schemas/label'}
LABEL_BODY = {'required': True, 'content': {'application/json': {'schema': {'$ref': '#/components/schemas/label_create_update_payload'}}}}

OURS = {
    ('get', '/health'): {'operationId': 'health', 'summary': 'Liveness: 200 while the process is up', 'security': [], 'responses': {'200': resp({'type': 'object'})}},
    ('get', '/ready'): {'operationId': 'ready', 'summary': 'Readiness: 200 only when the database answers', 'security': [],
                        'responses': {'200': resp({'type': 'object'}), '503': resp({'type': 'object'}, 'Database unreachable')}},
    ('post', '/auth/sign_in'): {
        'operationId': 'sign-in', 'summary': 'Dashboard sign-in (devise_token_auth compatible)', 'security': [],
        'description': 'Answers with headers access-token, token-type (Bearer), client, expiry and uid, which authenticate later '
                       'requests instead of api_access_token. Repeated failures for one email or IP answer 429 with Retry-After.',
        'requestBody': {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'required': ['email', 'password'],
                        'properties': {'email': {'type': 'string'}, 'password': {'type': 'string'}}}}}},
        'responses': {'200': resp({'type': 'object', 'properties': {'data': {'$ref': '#/components/schemas/user'}}}),
                      '401': resp({'type': 'object'}, 'Invalid login credentials'), '422': resp(ERR), '429': resp({'type': 'object'}, 'Throttled')}},
    ('delete', '/auth/sign_out'): {'operationId': 'sign-out', 'summary': "Ends the calling client's session",
                                   'responses': {'200': resp({'type': 'object'}), '401': resp(ERR), '404': resp({'type': 'object'})}},
    ('put', '/api/v1/profile'): {
        'operationId': 'updateProfile', 'summary': "Update the signed-in user's profile",
        'requestBody': {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'properties': {
            'name': {'type': 'string'}, 'display_name': {'type': 'string'}, 'email': {'type': 'string'}, 'message_signature': {'type': 'string'},
            'password': {'type': 'string'}, 'password_confirmation': {'type': 'string'}, 'current_password': {'type': 'string'},
            'ui_settings': {'type': 'object'}, 'availability': {'type': 'string', 'enum': ['online', 'busy', 'offline']},
            'account_id': {'type': 'integer'}}}}}},
        'responses': {'200': resp({'$ref': '#/components/schemas/user'}), **STD_ERRORS}},
    ('delete', '/api/v1/accounts/{account_id}/inboxes/{id}'): {'operationId': 'deleteInbox', 'summary': 'Delete an inbox (administrators)',
        'parameters': [ACC, ID], 'responses': {'200': resp({'type': 'object'}), **STD_ERRORS}},
    ('get', '/api/v1/accounts/{account_id}/labels'): {'operationId': 'list-labels', 'parameters': [ACC],
        'responses': {'200': resp({'type': 'object', 'properties': {'payload': {'type': 'array', 'items': LABEL}}}), **STD_ERRORS}},
    ('post', '/api/v1/accounts/{account_id}/labels'): {'operationId': 'create-label', 'parameters': [ACC], 'requestBody': LABEL_BODY,
        'description': 'Titles are stored lowercase, unique per account, letters, digits, _ and - only.',
        'responses': {'200': resp(LABEL), **STD_ERRORS}},
    ('get', '/api/v1/accounts/{account_id}/labels/{id}'): {'operationId': 'get-label', 'parameters': [ACC, ID], 'responses': {'200': resp(LABEL), **STD_ERRORS}},
    ('patch', '/api/v1/accounts/{account_id}/labels/{id}'): {'operationId': 'update-label', 'parameters': [ACC, ID], 'requestBody': LABEL_BODY,
        'responses': {'200': resp(LABEL), **STD_ERRORS}},
    ('delete', '/api/v1/accounts/{account_id}/labels/{id}'): {'operationId': 'delete-label', 'parameters': [ACC, ID],
        'responses': {'200': resp({'type': 'object'}), **STD_ERRORS}},
}

CONV = {'$ref': '#/components/parameters/conversation_id'}
OURS.update({
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_typing_status'): {
        'operationId': 'toggle-typing-status', 'summary': 'Broadcast that the caller started or stopped typing', 'parameters': [ACC, CONV],
        'requestBody': {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'required': ['typing_status'],
            'properties': {'typing_status': {'type': 'string', 'enum': ['on', 'off']}, 'is_private': {'type': 'boolean'}}}}}},
        'responses': {'200': resp({'type': 'object'}), **STD_ERRORS}},
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/update_last_seen'): {
        'operationId': 'update-last-seen', 'summary': 'Mark the conversation as seen by the agents (unread_count drops to 0)',
        'parameters': [ACC, CONV], 'responses': {'200': resp({'type': 'object'}), **STD_ERRORS}},
})

OURS[('get', '/attachments/{id}/{file_name}')] = {
    'operationId': 'download-attachment', 'security': [],
    'summary': 'A stored attachment, for a signed URL (as given in data_url) or an api_access_token of a member of its account',
    'parameters': [ID, {'name': 'file_name', 'in': 'path', 'required': True, 'schema': {'type': 'string'}},
                   {'name': 'expires', 'in': 'query', 'schema': {'type': 'integer'}}, {'name': 'signature', 'in': 'query', 'schema': {'type': 'string'}}],
    'responses': {'200': {'description': 'The file'}, '403': resp({'type': 'object'}, 'Invalid or expired link'), '404': resp({'type': 'object'}, 'No such file')}}

OURS[('get', '/avatars/{account_id}/{name}')] = {
    'operationId': 'avatar', 'security': [],
    'summary': "A WhatsApp group's or person's picture, as a contact's thumbnail links it (the random name is the capability)",
    'parameters': [{'name': 'account_id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}},
                   {'name': 'name', 'in': 'path', 'required': True, 'schema': {'type': 'string'}}],
    'responses': {'200': {'description': 'The picture'}, '404': resp({'type': 'object'}, 'No such picture')}}

OURS[('get', '/cable')] = {
    'operationId': 'cable', 'security': [],
    'summary': 'Live updates: a websocket speaking ActionCable (subprotocol actioncable-v1-json)',
    'description': 'Subscribe to RoomChannel with {pubsub_token, account_id, user_id} (a user) or {pubsub_token} (a contact '
                   'identity). Event frames are {identifier, message: {event, data, seq}}; seq numbers an account\'s events. '
                   'Extension: add "since": <seq> to the identifier to first receive, in order, every event after it that the '
                   'subscriber may see (10 minutes or 10,000 events per account); if that history is gone, an event '
                   '"replay.unavailable" says so, and the client should reload.',
    'responses': {'101': {'description': 'Switching protocols'}, '400': resp({'type': 'object'}, 'Not a websocket request (a JSON error)')}}

INBOX_ID = {'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}, 'description': 'The WhatsApp inbox'}
TEMPLATE = {'$ref': '#/components/schemas/whatsapp_template'}
OURS[('post', '/webhooks/whatsapp/{token}')] = {
    'operationId': 'whatsapp-webhook', 'security': [],
    'summary': "The BSP's webhook for one WhatsApp inbox (its URL is the inbox's webhook_url)",
    'description': 'Accepts the BSP manual\'s payloads: messages (text, image, audio, video, document, voice, sticker, location, '
                   'contacts, interactive list_reply/button_reply, button, referral, order; any other type is stored as an '
                   'unsupported message with its raw payload), statuses (sent, delivered, read, failed; only forward moves apply) '
                   'and template events (field message_template_status_update, template_category_update, template_performance_metrics). '
                   'Answers 200 only after everything is committed; the same delivery twice stores nothing new. '
                   'Media are kept by a download job (the links expire); a reaction lands on the message it reacts to; a sender '
                   'may be a business-scoped user id (from_user_id) with no number. '
                   'For a Baileys-provider inbox the body is the provider\'s envelope {event, data, extra?: {media}, '
                   'webhookVerifyToken}: messages.upsert (people and groups: text, files, voice notes, reactions, mentions, quotes, '
                   'group stubs), group-participants.update, groups.update, groups.activity (groups soft-disabled: '
                   'WHATSAPP_GROUPS_ENABLED=false), message-receipt.update and messages.update (receipts) are applied; group changes '
                   'end with a contact.group_synced event. Other events are acknowledged. A wrong webhookVerifyToken is a 401.',
    'parameters': [{'name': 'token', 'in': 'path', 'required': True, 'schema': {'type': 'string'}}],
    'requestBody': {'required': True, 'content': {'application/json': {'schema': {'type': 'object'}}}},
    'responses': {'200': resp({'type': 'object'}), '400': resp({'type': 'object'}, 'Malformed JSON or a message without id/from'),
                  '401': resp({'type': 'object'}, 'A Baileys envelope with the wrong verify token'),
                  '404': resp({'type': 'object'}, 'Unknown token'), '503': resp({'type': 'object'}, 'Database unavailable: retry')}}
OURS[('post', '/api/v1/accounts/{account_id}/inboxes/{id}/sync_templates')] = {
    'operationId': 'whatsapp-sync-templates', 'summary': "Fetch a WhatsApp inbox's templates from the BSP now (administrators)",
    'description': 'Templates are also fetched when the inbox is created and periodically (WHATSAPP_TEMPLATE_SYNC_SECS). Answers with the inbox, '
                   'whose message_templates lists them.',
    'parameters': [ACC, INBOX_ID], 'responses': {'200': resp({'type': 'object'}), **STD_ERRORS, '502': resp(ERR, 'The BSP failed')}}
OURS[('get', '/api/v1/accounts/{account_id}/inboxes/{id}/message_templates')] = {
    'operationId': 'whatsapp-list-templates', 'summary': "A WhatsApp inbox's templates (administrators)", 'parameters': [ACC, INBOX_ID],
    'responses': {'200': resp({'type': 'object', 'properties': {'payload': {'type': 'array', 'items': TEMPLATE}}}), **STD_ERRORS}}
OURS[('post', '/api/v1/accounts/{account_id}/inboxes/{id}/message_templates')] = {
    'operationId': 'whatsapp-create-template', 'summary': 'Create a template at the BSP (createTemplate); it stays PENDING until its status webhook',
    'parameters': [ACC, INBOX_ID],
    'requestBody': {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'required': ['name', 'category', 'language', 'components'],
        'properties': {'name': {'type': 'string', 'pattern': '^[a-z0-9_]+$'}, 'category': {'type': 'string'}, 'language': {'type': 'string', 'example': 'en_US'},
                       'components': {'type': 'array', 'items': {'type': 'object'}}}}}}},
    'responses': {'200': resp(TEMPLATE), **STD_ERRORS, '502': resp(ERR, 'The BSP failed')}}
OURS[('delete', '/api/v1/accounts/{account_id}/inboxes/{id}/message_templates/{name}')] = {
    'operationId': 'whatsapp-delete-template', 'summary': 'Delete a template at the BSP (deleteTemplate, every language of the name)',
    'parameters': [ACC, INBOX_ID, {'name': 'name', 'in': 'path', 'required': True, 'schema': {'type': 'string'}}],
    'responses': {'200': resp({'type': 'object'}), **STD_ERRORS, '502': resp(ERR, 'The BSP failed')}}

COUNTS = {'type': 'object', 'additionalProperties': {'type': 'integer'}}
ANALYTICS = {'type': 'object', 'required': ['inbox_id', 'waba_id', 'start', 'end', 'granularity', 'totals', 'data_points'], 'properties': {
    'inbox_id': {'type': 'integer'}, 'waba_id': {'type': 'string'}, 'phone_number': {'type': 'string', 'nullable': True},
    'start': {'type': 'string', 'format': 'date-time'}, 'end': {'type': 'string', 'format': 'date-time'},
    'granularity': {'type': 'string', 'enum': ['half_hour', 'daily', 'monthly']},
    'totals': {'type': 'object', 'properties': {'conversations': {'type': 'integer'}, 'by_type': COUNTS, 'by_direction': COUNTS,
                                                'by_country': COUNTS}},
    'data_points': {'type': 'array', 'description': 'Oldest first', 'items': {'type': 'object', 'properties': {
        'start': {'type': 'string', 'format': 'date-time'}, 'end': {'type': 'string', 'format': 'date-time'},
        'conversations': {'type': 'integer'}, 'country': {'type': 'string', 'nullable': True, 'example': 'CO'},
        'phone_number': {'type': 'string', 'nullable': True},
        'conversation_type': {'type': 'string', 'nullable': True, 'example': 'regular',
                              'description': 'unknown, free_entry_point, free_tier or regular'},
        'conversation_direction': {'type': 'string', 'nullable': True, 'example': 'user_initiated',
                                   'description': 'unknown, user_initiated or business_initiated'}}}}}}
LIST_PARAM = lambda name, desc: {'name': name, 'in': 'query', 'schema': {'type': 'string'}, 'description': desc}
OURS[('get', '/api/v1/accounts/{account_id}/inboxes/{id}/whatsapp_analytics')] = {
    'operationId': 'whatsapp-analytics', 'summary': "The BSP's conversation analytics of a WhatsApp inbox's number (administrators)",
    'description': "Calls the BSP's getAnalytics (ISV accounts) with the inbox's provider_config.analytics_token and client_id (when "
                   "client_id is not set it is looked up with getWabaIdsByToken), for the inbox's number, with every dimension. "
                   "The answer is normalized: RFC 3339 times (the BSP's times are read as UTC), counts as integers, lower-case types "
                   "and directions, oldest first, with totals. The BSP's \"Data not found for search criteria\" is an empty list. "
                   "Parameters are lenient: start and end take epoch seconds, RFC 3339, 'yyyy-mm-dd hh:mm:ss' or a date (end: the "
                   "end of that day); an unreadable end is now and an unreadable start is 7 days before end; an unknown granularity "
                   "is daily; unknown filter values are dropped. Only start after end is refused (422 naming start). "
                   "A missing analytics token is a 422 naming provider_config.analytics_token; the BSP's refusals (wrong token, a "
                   "WABA not of the client) are a 422 quoting the BSP's error with the token masked; the BSP down is a 502.",
    'parameters': [ACC, INBOX_ID,
                   LIST_PARAM('start', 'Default: 7 days before end'), LIST_PARAM('end', 'Default: now'),
                   {'name': 'granularity', 'in': 'query', 'schema': {'type': 'string', 'enum': ['half_hour', 'daily', 'monthly']}},
                   LIST_PARAM('country_codes', 'ISO codes, comma-separated (CO,PE)'),
                   LIST_PARAM('conversation_types', 'unknown, free_entry_point, free_tier, regular; comma-separated'),
                   LIST_PARAM('conversation_directions', 'unknown, user_initiated, business_initiated; comma-separated')],
    'responses': {'200': resp(ANALYTICS), **STD_ERRORS, '502': resp(ERR, 'The BSP failed')}}

WEBHOOK_ID = {'name': 'webhook_id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}}
WEBHOOK = {'$ref': '#/components/schemas/webhook'}
ATTEMPT = {'type': 'object', 'properties': {
    'attempted_at': {'type': 'integer', 'description': 'Epoch seconds'},
    'status_code': {'type': 'integer', 'nullable': True, 'description': "The receiver's answer; null for a timeout, an unreachable or refused address"},
    'duration_ms': {'type': 'integer'}, 'error': {'type': 'string', 'nullable': True},
    'next_retry_at': {'type': 'integer', 'nullable': True, 'description': 'When the next attempt is due (epoch seconds); null when none is'}}}
DELIVERY = {'type': 'object', 'properties': {
    'id': {'type': 'integer'}, 'delivery_id': {'type': 'string', 'format': 'uuid', 'description': 'X-Chatwoot-Delivery: the same on every attempt and redelivery'},
    'event': {'type': 'string'}, 'status': {'type': 'string', 'enum': ['pending', 'delivered', 'failed']},
    'attempt_count': {'type': 'integer'}, 'status_code': {'type': 'integer', 'nullable': True},
    'duration_ms': {'type': 'integer', 'nullable': True}, 'error': {'type': 'string', 'nullable': True},
    'next_retry_at': {'type': 'integer', 'nullable': True}, 'delivered_at': {'type': 'integer', 'nullable': True},
    'created_at': {'type': 'integer'}, 'payload': {'type': 'object', 'description': 'The body sent'},
    'attempts': {'type': 'array', 'items': ATTEMPT}}}
OURS[('post', '/api/v1/accounts/{account_id}/webhooks/{webhook_id}/rotate_secret')] = {
    'operationId': 'rotate-webhook-secret', 'summary': "A new signing secret for the webhook (administrators); later attempts are signed with it",
    'parameters': [ACC, WEBHOOK_ID], 'responses': {'200': resp(WEBHOOK), **STD_ERRORS}}
OURS[('get', '/api/v1/accounts/{account_id}/webhooks/{webhook_id}/deliveries')] = {
    'operationId': 'list-webhook-deliveries', 'summary': "The webhook's delivery log, newest first, 25 a page, each delivery with its attempts (administrators)",
    'description': 'Finished deliveries are kept 7 days; pending ones until they finish. Also serves an API inbox\'s callback endpoint '
                   '(its id is the inbox payload\'s callback_webhook.id).',
    'parameters': [ACC, WEBHOOK_ID, {'name': 'page', 'in': 'query', 'schema': {'type': 'integer', 'default': 1}}],
    'responses': {'200': resp({'type': 'object', 'properties': {
        'meta': {'type': 'object', 'properties': {'count': {'type': 'integer'}, 'current_page': {'type': 'integer'}, 'per_page': {'type': 'integer'}}},
        'payload': {'type': 'array', 'items': DELIVERY}}}), **STD_ERRORS}}
OURS[('post', '/api/v1/accounts/{account_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver')] = {
    'operationId': 'redeliver-webhook-delivery', 'summary': 'Send a delivery again, through the queue: same body, same X-Chatwoot-Delivery (administrators)',
    'parameters': [ACC, WEBHOOK_ID, {'name': 'delivery_id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}}],
    'responses': {'202': resp(DELIVERY, 'Queued'), **STD_ERRORS}}

API_KEY = {'type': 'object', 'properties': {'id': {'type': 'integer'}, 'name': {'type': 'string'},
           'key': {'type': 'string', 'description': 'The key itself only in the answer that makes it; masked (sbk_••••••••abcd) in lists'},
           'created_at': {'type': 'integer', 'description': 'Epoch seconds'}}}
OURS[('get', '/api/v1/accounts/{account_id}/api_keys')] = {
    'operationId': 'list-api-keys', 'summary': "The account's integrator API keys, masked (administrators)",
    'description': 'Integrators send the account\'s slug (PATCH /api/v1/accounts/{id} {slug}) and one of these keys to the integrator '
                   'APIs: GET /api/conversations (api-login, api-key headers). Keys are stored as digests; revoked keys are not listed.',
    'parameters': [ACC], 'responses': {'200': resp({'type': 'object', 'properties': {'payload': {'type': 'array', 'items': API_KEY}}}), **STD_ERRORS}}
OURS[('post', '/api/v1/accounts/{account_id}/api_keys')] = {
    'operationId': 'create-api-key', 'summary': 'A new integrator API key (administrators); the answer is the only time the key is shown',
    'parameters': [ACC],
    'requestBody': {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'required': ['name'],
        'properties': {'name': {'type': 'string', 'maxLength': 255}}}}}},
    'responses': {'200': resp(API_KEY), **STD_ERRORS}}
OURS[('delete', '/api/v1/accounts/{account_id}/api_keys/{key_id}')] = {
    'operationId': 'revoke-api-key', 'summary': 'Revoke an integrator API key (administrators): requests with it get 403 from then on',
    'parameters': [ACC, {'name': 'key_id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}}],
    'responses': {'200': {'description': 'Revoked'}, **STD_ERRORS}}
LISTED = {'type': 'object', 'properties': {
    'conversation_id': {'type': 'string', 'description': "The conversation's id in the account (its display id)"},
    'last_user_channel': {'type': 'string', 'enum': ['whatsapp', 'api']},
    'recipient_details': {'type': 'object', 'properties': {'phone_number': {'type': 'string', 'nullable': True, 'description': 'Digits, no +'},
                                                           'name': {'type': 'string'}}},
    'agent_assigned_to': {'type': 'string', 'description': "The assigned agent's name; absent when unassigned"},
    'from': {'type': 'string', 'description': "The inbox's number (digits), or the inbox identifier of an API inbox"},
    'first_message_at': {'type': 'string', 'format': 'date-time', 'description': 'ISO-8601 with offset; the creation time when no message yet'},
    'last_message_at': {'type': 'string', 'format': 'date-time'},
    'last_message': {'type': 'string', 'nullable': True},
    'purpose': {'type': 'string', 'enum': ['alert', 'conversation'],
                'description': 'alert when the first message was ours (a notification, a template, an outreach); conversation when the contact wrote first'},
    'color': {'type': 'integer', 'enum': [0, 1, 2, 3], 'description': 'The status: 0 open, 1 pending, 2 resolved, 3 snoozed'},
    'number_of_messages': {'type': 'integer', 'description': 'Messages, activity lines excluded'}}}
INTEGRATOR_ERRORS = {'400': resp(ERR, 'Bad request: a credential header that is not text'),
                     '401': resp(ERR, 'Unauthorized: no api-login or api-key, or they do not match'),
                     '403': resp(ERR, 'Forbidden to view: the API key was revoked'),
                     '404': resp(ERR, 'Conversation not found: a page past the last'),
                     '429': resp(ERR, 'Too many requests for this key (INTEGRATOR_REQUESTS_PER_MINUTE, 600 by default); see Retry-After'),
                     '503': resp(ERR, 'Service unavailable: retry')}
OURS[('get', '/api/conversations')] = {
    'operationId': 'integrator-conversations-list', 'security': [],
    'summary': "Retrieve the conversations list (conversations-list API): the account's conversations, latest activity first",
    'description': 'Authenticated by the account\'s slug in api-login and one of its API keys in api-key. page (default 1) and per_page '
                   '(default 100, at most 500) are read leniently: "3", " 3 ", "3.0" and "3abc" are 3, anything else is the default; they never '
                   'fail the request. The answer is a bare array.',
    'parameters': [{'name': 'api-login', 'in': 'header', 'required': True, 'schema': {'type': 'string'}, 'description': "The account's slug"},
                   {'name': 'api-key', 'in': 'header', 'required': True, 'schema': {'type': 'string'}, 'description': 'One of its API keys'},
                   {'name': 'page', 'in': 'query', 'schema': {'type': 'string', 'default': '1'}},
                   {'name': 'per_page', 'in': 'query', 'schema': {'type': 'string', 'default': '100'}}],
    'responses': {'200': resp({'type': 'array', 'items': LISTED}), **INTEGRATOR_ERRORS}}

RETAILER_AUTH = [{'name': 'Slug', 'in': 'header', 'required': True, 'schema': {'type': 'string'}, 'description': "The account's slug"},
                 {'name': 'Api-Key', 'in': 'header', 'required': True, 'schema': {'type': 'string'}, 'description': 'One of its API keys'}]
CUSTOMER_ID = {'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'string'}, 'description': "The customer's web id (e.g. 0001abcde42)"}
CUSTOMER = {'type': 'object', 'description': 'A contact: name split into first and last, attributes, labels as tags, custom attributes as custom fields',
            'properties': {'id': {'type': 'string'}, 'first_name': {'type': 'string'}, 'last_name': {'type': 'string'},
                           'email': {'type': 'string', 'nullable': True}, 'phone': {'type': 'string', 'nullable': True},
                           'tags': {'type': 'array', 'items': {'type': 'object', 'properties': {'tag': {'type': 'string'}, 'web_id': {'type': 'string'}}}},
                           'custom_fields': {'type': 'array', 'items': {'type': 'object', 'properties': {'field_name': {'type': 'string'}, 'field_content:': {}}}}}}
CUSTOMER_BODY = {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'properties': {'customer': {'type': 'object', 'properties': {
    'first_name': {'type': 'string'}, 'last_name': {'type': 'string'}, 'email': {'type': 'string'}, 'phone': {'type': 'string'},
    'notes': {'type': 'string'}, 'address': {'type': 'string'}, 'city': {'type': 'string'}, 'state': {'type': 'string'}, 'zip_code': {'type': 'string'},
    'agent_id': {'type': 'integer', 'description': "Assigns the customer's open conversations to this agent"},
    'tags': {'type': 'array', 'items': {'type': 'object', 'properties': {'name': {'type': 'string'}, 'value': {'type': 'boolean', 'description': 'true tags, false untags'}}}},
    'custom_fields': {'type': 'array', 'items': {'type': 'object', 'properties': {'field_name': {'type': 'string'}, 'field_content': {}}}}}}}}}}}
RETAILER_ERRORS = {'400': resp(ERR, 'Bad request'), '401': resp(ERR, 'Wrong or missing Slug or Api-Key'), '403': resp(ERR, 'The API key was revoked'),
                   '404': resp({'type': 'object', 'properties': {'message': {'type': 'string', 'enum': ['Not found']}}}, 'Not found'),
                   '422': resp(ERR, 'Invalid body: names the field'), '429': resp(ERR, 'Too many requests for this key'), '503': resp(ERR, 'Retry')}
def retailer(method, path, op, summary, ok_schema, params=(), body=None):
    entry = {'operationId': op, 'security': [], 'summary': summary, 'parameters': RETAILER_AUTH + list(params),
             'responses': {'200': resp(ok_schema), **RETAILER_ERRORS}}
    if body:
        entry['requestBody'] = body
    OURS[(method, path)] = entry
PAGE = {'name': 'page', 'in': 'query', 'schema': {'type': 'string', 'default': '1'}}
retailer('get', '/retailers/api/v1/agents', 'retailer-agents', "Retailer API: the account's agents",
         {'type': 'object', 'properties': {'agents': {'type': 'array', 'items': {'type': 'object', 'properties': {
             'id': {'type': 'integer'}, 'first_name': {'type': 'string'}, 'last_name': {'type': 'string'}, 'email': {'type': 'string'}, 'admin': {'type': 'boolean'}}}}}})
retailer('get', '/retailers/api/v1/customers', 'retailer-customers', 'Retailer API: customers (contacts), 15 a page',
         {'type': 'object', 'properties': {'results': {'type': 'integer'}, 'total_pages': {'type': 'integer'}, 'customers': {'type': 'array', 'items': CUSTOMER}}}, [PAGE])
retailer('post', '/retailers/api/v1/customers', 'retailer-create-customer', 'Retailer API: create a customer (200, as documented)',
         {'type': 'object', 'properties': {'message': {'type': 'string'}, 'customer': CUSTOMER}}, body=CUSTOMER_BODY)
retailer('get', '/retailers/api/v1/customers/{id}', 'retailer-customer', 'Retailer API: a customer',
         {'type': 'object', 'properties': {'message': {'type': 'string'}, 'customer': CUSTOMER}}, [CUSTOMER_ID])
retailer('put', '/retailers/api/v1/customers/{id}', 'retailer-update-customer', "Retailer API: update a customer, its tags and its agent",
         {'type': 'object', 'properties': {'message': {'type': 'string'}}}, [CUSTOMER_ID], CUSTOMER_BODY)
MESSENGER = {'type': 'object', 'description': 'Switchboard has no Messenger channel: always empty',
             'properties': {'results': {'type': 'integer'}, 'total_pages': {'type': 'integer'}, 'messenger_conversations': {'type': 'array', 'items': {'type': 'object'}}}}
retailer('get', '/retailers/api/v1/messenger_conversations', 'retailer-messenger-conversations', 'Retailer API: Messenger conversations (none)', MESSENGER,
         [PAGE, {'name': 'results_per_page', 'in': 'query', 'schema': {'type': 'string'}}, {'name': 'unassigned', 'in': 'query', 'schema': {'type': 'string'}}])
retailer('get', '/retailers/api/v1/customers/{id}/messenger_conversations', 'retailer-customer-messenger-conversations',
         "Retailer API: a customer's Messenger conversations (none; an unknown customer is Not found)", MESSENGER, [CUSTOMER_ID, PAGE])

retailer('get', '/retailers/api/v1/whatsapp_templates', 'retailer-whatsapp-templates',
         "Retailer API: the account's BSP templates, text with placeholders as *, and the internal_id to send them by",
         {'type': 'object', 'properties': {'templates': {'type': 'array', 'items': {'type': 'object', 'properties': {
             'text': {'type': 'string'}, 'status': {'type': 'string', 'description': 'active (approved), or the BSP status in lower case'},
             'template_type': {'type': 'string', 'description': 'text, or the media header: image, video, document'},
             'internal_id': {'type': 'string'}}}}}})
retailer('get', '/retailers/api/v1/whatsapp_conversations', 'retailer-whatsapp-conversations',
         "Retailer API: the account's one-to-one WhatsApp conversations, latest first (unassigned=true: only unassigned)",
         {'type': 'object', 'properties': {'results': {'type': 'integer'}, 'total_pages': {'type': 'integer'}, 'whatsapp_conversations': {'type': 'array', 'items': {
             'type': 'object', 'properties': {'customer_id': {'type': 'integer'}, 'message_count': {'type': 'integer'}, 'last_interaction': {'type': 'string'},
                                              'first_name': {'type': 'string'}, 'last_name': {'type': 'string'}, 'email': {'type': 'string', 'nullable': True},
                                              'phone': {'type': 'string', 'nullable': True}, 'agent_id': {'type': 'integer', 'nullable': True}}}}}},
         [PAGE, {'name': 'results_per_page', 'in': 'query', 'schema': {'type': 'string', 'default': '100'}}, {'name': 'unassigned', 'in': 'query', 'schema': {'type': 'string'}}])
retailer('get', '/retailers/api/v1/customers/{id}/whatsapp_conversations', 'retailer-customer-whatsapp',
         "Retailer API: a customer's WhatsApp messages, newest first, 100 a page",
         {'type': 'object', 'properties': {'total_pages': {'type': 'integer'}, 'whatsapp_conversations': {'type': 'array', 'items': {'type': 'object'}}}},
         [CUSTOMER_ID, PAGE])
NOTICE_ERR = {'type': 'object', 'properties': {'message': {'type': 'string'}, 'info': {'type': 'object', 'properties': {'data': {'type': 'object'}}}}}
OURS[('post', '/retailers/api/v1/whatsapp/send_notification_by_id')] = {
    'operationId': 'retailer-send-notification', 'security': [],
    'summary': 'Retailer API: send a template to a number in one call',
    'description': 'On the inbox that owns the template: the customer is found by phone (or made, with the names, email, address and '
                   'notes given), their conversation found or opened, the template rendered with template_params and queued for the BSP, '
                   'agent_id assigns the conversation and tags add or remove labels. The same Idempotency-Key header again answers as the '
                   'first time and sends nothing. country is the number\'s ISO region (libphonenumber).',
    'parameters': RETAILER_AUTH + [{'name': 'Idempotency-Key', 'in': 'header', 'schema': {'type': 'string'}}],
    'requestBody': {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'properties': {
        'phone_number': {'type': 'string'}, 'internal_id': {'type': 'string'}, 'template_params': {'type': 'array', 'items': {}},
        'agent_id': {'type': 'integer'}, 'tags': {'type': 'array', 'items': {'type': 'object'}},
        'first_name': {'type': 'string'}, 'last_name': {'type': 'string'}, 'email': {'type': 'string'}}}}}},
    'responses': {'200': resp({'type': 'object', 'properties': {'message': {'type': 'string'}, 'info': {'type': 'object', 'properties': {
        'channel': {'type': 'string'}, 'content': {'type': 'object', 'properties': {'text': {'type': 'string'}}}, 'direction': {'type': 'string'},
        'status': {'type': 'string'}, 'destination': {'type': 'string'}, 'country': {'type': 'string', 'nullable': True},
        'created_time': {'type': 'string'}, 'error': {'nullable': True}}}}}),
        '400': resp(NOTICE_ERR, 'Error: Missing phone number / Missing phone number and/or internal_id / Parameters mismatch'),
        '401': resp(ERR, 'Wrong or missing Slug or Api-Key'), '403': resp(ERR, 'The API key was revoked'),
        '404': resp(NOTICE_ERR, 'Error: Template not found. Please check the ID sent.'),
        '422': resp(ERR, 'Invalid body: names the field'), '429': resp(ERR, 'Too many requests for this key'), '503': resp(ERR, 'Retry')}}

NOTIFICATION = {'$ref': '#/components/schemas/notification'}
NOTIF_ID = {'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}, 'description': "One of the caller's notifications"}
OURS[('get', '/api/v1/accounts/{account_id}/notifications')] = {
    'operationId': 'list-notifications', 'summary': "The caller's notifications, most recent activity first (15 a page)",
    'description': 'A notification is written with the change it reports: conversation_assignment (the conversation was assigned to the '
                   'caller by someone else, on assignment or at creation), conversation_mention (a private note mentioned the caller) and '
                   'conversation_creation (an agent bot handed a conversation of one of the caller\'s inboxes over to people). '
                   'Each is also sent live as notification.created, to its user only.',
    'parameters': [ACC, {'name': 'page', 'in': 'query', 'schema': {'type': 'integer', 'default': 1}}],
    'responses': {'200': resp({'type': 'object', 'properties': {'data': {'type': 'object', 'properties': {
        'meta': {'type': 'object', 'properties': {'unread_count': {'type': 'integer'}, 'count': {'type': 'integer'}, 'current_page': {'type': 'integer'}}},
        'payload': {'type': 'array', 'items': NOTIFICATION}}}}}), **STD_ERRORS}}
OURS[('get', '/api/v1/accounts/{account_id}/notifications/unread_count')] = {
    'operationId': 'notifications-unread-count', 'summary': "How many of the caller's notifications are unread (a bare integer)",
    'parameters': [ACC], 'responses': {'200': resp({'type': 'integer'}), **STD_ERRORS}}
OURS[('post', '/api/v1/accounts/{account_id}/notifications/read_all')] = {
    'operationId': 'notifications-read-all', 'summary': "Mark all the caller's notifications read",
    'parameters': [ACC], 'responses': {'200': resp({'type': 'object'}), **STD_ERRORS}}
OURS[('patch', '/api/v1/accounts/{account_id}/notifications/{id}')] = {
    'operationId': 'notification-read', 'summary': 'Mark one of the caller\'s notifications read (another user\'s is a 404)',
    'parameters': [ACC, NOTIF_ID], 'responses': {'200': resp(NOTIFICATION), **STD_ERRORS}}
OURS[('delete', '/api/v1/accounts/{account_id}/notifications/{id}')] = {
    'operationId': 'notification-delete', 'summary': 'Delete one of the caller\'s notifications (another user\'s is a 404)',
    'parameters': [ACC, NOTIF_ID], 'responses': {'200': resp({'type': 'object'}), **STD_ERRORS}}

EXTRA_SCHEMAS = {
    'notification': {'type': 'object', 'properties': {'id': {'type': 'integer'},
        'notification_type': {'type': 'string', 'enum': ['conversation_assignment', 'conversation_mention', 'conversation_creation']},
        'push_message_title': {'type': 'string'}, 'primary_actor_type': {'type': 'string', 'enum': ['Conversation']},
        'primary_actor_id': {'type': 'integer', 'description': "The conversation's display id"},
        'primary_actor': {'type': 'object', 'description': 'The conversation, as in conversation events'},
        'read_at': {'type': 'integer', 'nullable': True}, 'secondary_actor': {'type': 'object', 'nullable': True,
            'description': 'The user who assigned, or the message that mentioned'},
        'user': {'type': 'object'}, 'created_at': {'type': 'integer'}, 'last_activity_at': {'type': 'integer'},
        'snoozed_until': {'type': 'integer', 'nullable': True}, 'meta': {'type': 'object'}, 'account_id': {'type': 'integer'}}},
    'whatsapp_template': {'type': 'object', 'properties': {'id': {'type': 'string', 'nullable': True}, 'name': {'type': 'string'},
        'language': {'type': 'string'}, 'status': {'type': 'string'}, 'category': {'type': 'string', 'nullable': True},
        'previous_category': {'type': 'string', 'nullable': True}, 'rejected_reason': {'type': 'string', 'nullable': True},
        'components': {'type': 'array', 'items': {'type': 'object'}}, 'quality_metrics': {'type': 'object', 'nullable': True},
        'updated_at': {'type': 'integer'}}},
    'label': {'type': 'object', 'properties': {'id': {'type': 'integer'}, 'title': {'type': 'string'}, 'description': {'type': 'string', 'nullable': True},
              'color': {'type': 'string'}, 'show_on_sidebar': {'type': 'boolean'}}},
    'label_create_update_payload': {'type': 'object', 'properties': {'title': {'type': 'string'}, 'description': {'type': 'string'},
              'color': {'type': 'string', 'example': '#1f93ff'}, 'show_on_sidebar': {'type': 'boolean'}}},
}

# Automation rules: ours besides the reference's CRUD.
RULE_ID = {'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}}
RULE = {'type': 'object', 'properties': {'payload': {'$ref': '#/components/schemas/automation_rule_item'}}}
OURS[('post', '/api/v1/accounts/{account_id}/automation_rules/{id}/clone')] = {
    'operationId': 'clone-automation-rule', 'summary': 'A copy of the rule, named "… (copy)" (administrators)',
    'parameters': [ACC, RULE_ID], 'responses': {'200': resp(RULE)}}
OURS[('get', '/api/v1/accounts/{account_id}/automation_rules/{id}/runs')] = {
    'operationId': 'list-automation-rule-runs', 'summary': "The rule's runs, newest first, 25 a page (administrators)",
    'description': 'One run per event whose conditions held: the event, the conversation (display id), the depth of the chain '
                   '(1: caused by a person or a channel), the conditions, each action with its result (applied, or unchanged when the '
                   'conversation already was so), and the error when the run failed (then none of its actions took effect).',
    'parameters': [ACC, RULE_ID, {'name': 'page', 'in': 'query', 'schema': {'type': 'integer', 'default': 1}}],
    'responses': {'200': resp({'type': 'object', 'properties': {
        'meta': {'type': 'object', 'properties': {'count': {'type': 'integer'}, 'current_page': {'type': 'integer'}, 'per_page': {'type': 'integer'}}},
        'payload': {'type': 'array', 'items': {'type': 'object', 'properties': {
            'id': {'type': 'integer'}, 'rule_id': {'type': 'integer'}, 'event_name': {'type': 'string'},
            'conversation_id': {'type': 'integer', 'nullable': True}, 'depth': {'type': 'integer'},
            'conditions': {'type': 'array', 'items': {'type': 'object'}},
            'actions': {'type': 'array', 'items': {'type': 'object', 'properties': {'action_name': {'type': 'string'},
                'action_params': {'type': 'array', 'items': {}}, 'result': {'type': 'string', 'enum': ['applied', 'unchanged']}}}},
            'error': {'type': 'string', 'nullable': True}, 'created_at': {'type': 'integer'}}}}}})}}
ATTACH = {'operationId': 'attach-automation-file', 'summary': 'Upload a file for send_attachment actions (administrators)',
    'description': 'A multipart form with one file, attachment. Answers blob_id, which send_attachment\'s action_params take.',
    'parameters': [ACC],
    'requestBody': {'required': True, 'content': {'multipart/form-data': {'schema': {'type': 'object', 'required': ['attachment'],
        'properties': {'attachment': {'type': 'string', 'format': 'binary'}}}}}},
    'responses': {'200': resp({'type': 'object', 'properties': {'blob_id': {'type': 'integer'}, 'blob_key': {'type': 'string'},
        'filename': {'type': 'string'}}})}}
OURS[('post', '/api/v1/accounts/{account_id}/automation_rules/attach_file')] = ATTACH
# Macros (the reference serves them; its document has no operation for them).
ACTION_ITEM = {'type': 'object', 'properties': {'action_name': {'type': 'string'}, 'action_params': {'type': 'array', 'items': {}}}}
MACRO = {'type': 'object', 'properties': {
    'id': {'type': 'integer'}, 'account_id': {'type': 'integer'}, 'name': {'type': 'string'},
    'visibility': {'type': 'string', 'enum': ['personal', 'global']}, 'actions': {'type': 'array', 'items': ACTION_ITEM},
    'created_by': {'type': 'object', 'nullable': True, 'properties': {'id': {'type': 'integer'}, 'name': {'type': 'string'}}},
    'updated_by': {'type': 'object', 'nullable': True, 'properties': {'id': {'type': 'integer'}, 'name': {'type': 'string'}}},
    'created_at': {'type': 'integer'}, 'updated_at': {'type': 'integer'}}}
MACRO_BODY = {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'additionalProperties': False, 'properties': {
    'name': {'type': 'string'}, 'visibility': {'type': 'string', 'enum': ['personal', 'global']},
    'actions': {'type': 'array', 'items': ACTION_ITEM}}}}}}
MACRO_NOTE = ('Members see the account\'s global macros and their own personal ones (another user\'s personal macro is a 404). '
    'Anyone writes their own personal macros; global ones are created, changed and deleted by administrators (401 for agents). '
    'actions are the automation rules\' actions (see automation rules), checked the same way (422 naming actions[i].…).')
MACRO_ONE = {'type': 'object', 'properties': {'payload': MACRO}}
OURS[('get', '/api/v1/accounts/{account_id}/macros')] = {'operationId': 'list-macros', 'summary': 'Macros the caller may use',
    'description': MACRO_NOTE, 'parameters': [ACC],
    'responses': {'200': resp({'type': 'object', 'properties': {'payload': {'type': 'array', 'items': MACRO}}})}}
OURS[('post', '/api/v1/accounts/{account_id}/macros')] = {'operationId': 'create-macro', 'summary': 'Create a macro',
    'description': MACRO_NOTE + ' visibility defaults to personal.', 'parameters': [ACC], 'requestBody': MACRO_BODY, 'responses': {'200': resp(MACRO_ONE)}}
OURS[('get', '/api/v1/accounts/{account_id}/macros/{id}')] = {'operationId': 'get-macro', 'summary': 'A macro',
    'description': MACRO_NOTE, 'parameters': [ACC, RULE_ID], 'responses': {'200': resp(MACRO_ONE)}}
OURS[('patch', '/api/v1/accounts/{account_id}/macros/{id}')] = {'operationId': 'update-macro', 'summary': 'Update a macro',
    'description': MACRO_NOTE, 'parameters': [ACC, RULE_ID], 'requestBody': MACRO_BODY, 'responses': {'200': resp(MACRO_ONE)}}
OURS[('delete', '/api/v1/accounts/{account_id}/macros/{id}')] = {'operationId': 'delete-macro', 'summary': 'Delete a macro',
    'description': MACRO_NOTE, 'parameters': [ACC, RULE_ID], 'responses': {'200': resp({'type': 'object'})}}
OURS[('post', '/api/v1/accounts/{account_id}/macros/{id}/execute')] = {'operationId': 'execute-macro',
    'summary': 'Apply a macro to conversations',
    'description': 'The actions in order, each conversation (display ids, at most 100) in its own transaction, as the caller (activity '
                   'lines name them). A conversation the caller cannot see, or whose actions fail, is reported failed and keeps nothing '
                   'of the macro; the others go on. send_webhook_event delivers event "macro.executed" with the conversation.',
    'parameters': [ACC, RULE_ID],
    'requestBody': {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'additionalProperties': False,
        'required': ['conversation_ids'], 'properties': {'conversation_ids': {'type': 'array', 'items': {'type': 'integer'}}}}}}},
    'responses': {'200': resp({'type': 'object', 'properties': {'payload': {'type': 'array', 'items': {'type': 'object', 'properties': {
        'conversation_id': {'type': 'integer'}, 'status': {'type': 'string', 'enum': ['applied', 'failed']},
        'actions': {'type': 'array', 'items': {'type': 'object'}}, 'error': {'type': 'string', 'nullable': True}}}}}})}}
OURS[('post', '/api/v1/accounts/{account_id}/macros/attach_file')] = dict(ATTACH, operationId='attach-macro-file',
    summary='Upload a file for a macro\'s send_attachment action (members)')

# Reports and the help center.
V2 = '/api/v2/accounts/{account_id}'
PORTALS = '/api/v1/accounts/{account_id}/portals'
FROM_REFERENCE += [
    ('get', '/api/v1/accounts/{account_id}/reporting_events', '/api/v1/accounts/{account_id}/reporting_events'),
    ('get', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/reporting_events', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/reporting_events'),
    ('get', V2 + '/reports', V2 + '/reports'),
    ('get', V2 + '/reports/summary', V2 + '/reports/summary'),
    ('get', V2 + '/reports/conversations', V2 + '/reports/conversations'),
    ('get', V2 + '/reports/conversations/', V2 + '/reports/conversations/'),
    ('get', V2 + '/summary_reports/channel', V2 + '/summary_reports/channel'),
    ('get', V2 + '/summary_reports/inbox', V2 + '/summary_reports/inbox'),
    ('get', V2 + '/summary_reports/agent', V2 + '/summary_reports/agent'),
    ('get', V2 + '/summary_reports/team', V2 + '/summary_reports/team'),
    ('get', V2 + '/reports/first_response_time_distribution', V2 + '/reports/first_response_time_distribution'),
    ('get', V2 + '/reports/inbox_label_matrix', V2 + '/reports/inbox_label_matrix'),
    ('get', V2 + '/reports/outgoing_messages_count', V2 + '/reports/outgoing_messages_count'),
    ('post', PORTALS, PORTALS),
    ('get', PORTALS, PORTALS),
    ('patch', PORTALS + '/{id}', PORTALS + '/{id}'),
    ('post', PORTALS + '/{id}/categories', PORTALS + '/{id}/categories'),
    ('post', PORTALS + '/{id}/articles', PORTALS + '/{id}/articles'),
]
CSV = {'text/csv': {'schema': {'type': 'string'}}}
def csv_of(method, path, theirs, name):
    op = copy.deepcopy(ref['paths'][theirs][method])
    op['operationId'] = op['operationId'] + '-csv'
    op['summary'] = f'{name} as a CSV download (administrators)'
    shared = [p for p in ref['paths'][theirs].get('parameters', []) if p not in op.get('parameters', [])]
    op['parameters'] = shared + op.get('parameters', [])
    op['responses'] = {'200': {'description': 'CSV, one row per item', 'content': CSV}, **STD_ERRORS}
    return op
for kind in ('channel', 'inbox', 'agent', 'team'):
    OURS[('get', f'{V2}/summary_reports/{kind}.csv')] = csv_of('get', f'{V2}/summary_reports/{kind}.csv', f'{V2}/summary_reports/{kind}', f'The {kind} summary')
OURS[('get', V2 + '/reports.csv')] = csv_of('get', V2 + '/reports.csv', V2 + '/reports', 'The time series')
PORTAL_KEY = {'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'string'}, 'description': 'The portal\'s id or slug'}
CAT_ID = {'name': 'category_id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}}
ART_ID = {'name': 'article_id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}}
PORTAL_ONE = {'$ref': '#/components/schemas/portal_single'}
CATEGORY = {'$ref': '#/components/schemas/category'}
ARTICLE = {'$ref': '#/components/schemas/article'}
def body(name):
    return {'required': True, 'content': {'application/json': {'schema': {'$ref': f'#/components/schemas/{name}'}}}}
OURS.update({
    ('get', PORTALS + '/{id}'): {'operationId': 'get-portal-details', 'summary': 'A portal (members)', 'parameters': [ACC, PORTAL_KEY],
        'responses': {'200': resp(PORTAL_ONE), **STD_ERRORS}},
    ('delete', PORTALS + '/{id}'): {'operationId': 'delete-portal', 'summary': 'Delete a portal with its categories and articles (administrators)',
        'parameters': [ACC, PORTAL_KEY], 'responses': {'200': resp(), **STD_ERRORS}},
    ('get', PORTALS + '/{id}/categories'): {'operationId': 'list-categories', 'summary': "A portal's categories (members)",
        'parameters': [ACC, PORTAL_KEY, {'name': 'locale', 'in': 'query', 'schema': {'type': 'string'}}],
        'responses': {'200': resp({'type': 'object', 'properties': {'payload': {'type': 'array', 'items': CATEGORY}, 'meta': {'type': 'object'}}}), **STD_ERRORS}},
    ('get', PORTALS + '/{id}/categories/{category_id}'): {'operationId': 'get-category', 'summary': 'A category (members)',
        'parameters': [ACC, PORTAL_KEY, CAT_ID], 'responses': {'200': resp(CATEGORY), **STD_ERRORS}},
    ('patch', PORTALS + '/{id}/categories/{category_id}'): {'operationId': 'update-category', 'summary': 'Update a category (administrators)',
        'parameters': [ACC, PORTAL_KEY, CAT_ID], 'requestBody': body('category_create_update_payload'), 'responses': {'200': resp(CATEGORY), **STD_ERRORS}},
    ('delete', PORTALS + '/{id}/categories/{category_id}'): {'operationId': 'delete-category', 'summary': 'Delete a category; its articles stay, uncategorized (administrators)',
        'parameters': [ACC, PORTAL_KEY, CAT_ID], 'responses': {'200': resp(), **STD_ERRORS}},
    ('get', PORTALS + '/{id}/articles'): {'operationId': 'list-articles', 'summary': "A portal's articles, in position order, 25 a page (members)",
        'parameters': [ACC, PORTAL_KEY] + [{'name': n, 'in': 'query', 'schema': {'type': t}} for n, t in
            (('page', 'integer'), ('locale', 'string'), ('status', 'string'), ('category_id', 'integer'), ('author_id', 'integer'))],
        'responses': {'200': resp({'type': 'object', 'properties': {'payload': {'type': 'array', 'items': ARTICLE}, 'meta': {'type': 'object', 'properties': {
            'articles_count': {'type': 'integer'}, 'current_page': {'type': 'integer'}}}}}), **STD_ERRORS}},
    ('get', PORTALS + '/{id}/articles/{article_id}'): {'operationId': 'get-article', 'summary': 'An article (members)',
        'parameters': [ACC, PORTAL_KEY, ART_ID], 'responses': {'200': resp(ARTICLE), **STD_ERRORS}},
    ('patch', PORTALS + '/{id}/articles/{article_id}'): {'operationId': 'update-article', 'summary': 'Update an article (members)',
        'parameters': [ACC, PORTAL_KEY, ART_ID], 'requestBody': body('article_create_update_payload'), 'responses': {'200': resp(ARTICLE), **STD_ERRORS}},
    ('delete', PORTALS + '/{id}/articles/{article_id}'): {'operationId': 'delete-article', 'summary': 'Delete an article (administrators)',
        'parameters': [ACC, PORTAL_KEY, ART_ID], 'responses': {'200': resp(), **STD_ERRORS}},
})
PUBLIC_ARTICLE = {'type': 'object', 'properties': {
    'id': {'type': 'integer'}, 'slug': {'type': 'string'}, 'title': {'type': 'string'}, 'description': {'type': 'string', 'nullable': True},
    'content': {'type': 'string', 'description': 'The Markdown rendered to HTML and sanitized (never script); empty in lists'},
    'locale': {'type': 'string'}, 'views': {'type': 'integer'}, 'updated_at': {'type': 'string', 'format': 'date-time'},
    'category': {'type': 'object', 'nullable': True, 'properties': {'id': {'type': 'integer'}, 'name': {'type': 'string'}, 'slug': {'type': 'string'}}}}}
HC_LIMIT = {'429': resp({'type': 'object'}, 'Rate limited (PUBLIC_REQUESTS_PER_MINUTE_PER_IP and …_PER_INBOX, per portal); Retry-After says when to retry')}
OURS[('get', '/hc/{portal_slug}/{locale}/articles')] = {'operationId': 'public-articles', 'security': [],
    'summary': "A live portal's published articles in a locale, or those matching query (no token)",
    'description': 'Without query: published articles in position order, 25 a page. With query: PostgreSQL full-text search in the '
                   'locale\'s language (websearch syntax: words, "phrases", -exclusions), best first (title over description over '
                   'content), at most 25. Drafts, archived articles and archived portals are never shown. 404 for an unknown portal or '
                   'a locale the portal does not offer.',
    'parameters': [{'name': 'portal_slug', 'in': 'path', 'required': True, 'schema': {'type': 'string'}},
                   {'name': 'locale', 'in': 'path', 'required': True, 'schema': {'type': 'string'}},
                   {'name': 'query', 'in': 'query', 'schema': {'type': 'string'}}, {'name': 'page', 'in': 'query', 'schema': {'type': 'integer'}}],
    'responses': {'200': resp({'type': 'object', 'properties': {'payload': {'type': 'array', 'items': PUBLIC_ARTICLE}, 'meta': {'type': 'object', 'properties': {
        'articles_count': {'type': 'integer'}, 'current_page': {'type': 'integer'}}}}}), '404': resp(ERR, 'Not found'), **HC_LIMIT}}
OURS[('get', '/hc/{portal_slug}/articles/{article_slug}')] = {'operationId': 'public-article', 'security': [],
    'summary': 'One published article, its Markdown as sanitized HTML (no token); counts a view',
    'parameters': [{'name': 'portal_slug', 'in': 'path', 'required': True, 'schema': {'type': 'string'}},
                   {'name': 'article_slug', 'in': 'path', 'required': True, 'schema': {'type': 'string'}}],
    'responses': {'200': resp(PUBLIC_ARTICLE), '404': resp(ERR, 'Not found'), **HC_LIMIT}}

paths = {}
for method, ours, theirs in FROM_REFERENCE:
    item = ref['paths'][theirs]
    op = copy.deepcopy(item[method])
    shared = [p for p in item.get('parameters', []) if p not in op.get('parameters', [])]
    if shared:
        op['parameters'] = shared + op.get('parameters', [])
    paths.setdefault(ours, {})[method] = op
for (method, path), op in OURS.items():
    paths.setdefault(path, {})[method] = op

# Where we extend a reference operation, say how.
WEBHOOK_NOTE = ('Administrators only. Deliveries are the reference\'s flat JSON ({"event": …, …the object\'s fields}; message events '
    'carry sender, inbox, conversation and account), POSTed with X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret, '
    '"<X-Chatwoot-Timestamp>.<raw body>")>, X-Chatwoot-Timestamp (epoch seconds of the attempt), X-Chatwoot-Delivery (a uuid, the '
    'same on retries: deduplicate on it) and X-Chatwoot-Event. At least once, in order per conversation (a delivery waits for the '
    'earlier one of its conversation). A 2xx is delivered; a timeout (WEBHOOK_TIMEOUT_SECS, 10), a 5xx, 408 or 429 is retried after '
    'WEBHOOK_RETRY_BASE_SECS (10), doubling up to WEBHOOK_RETRY_MAX_SECS (3600), or after Retry-After, for WEBHOOK_RETRY_FOR_SECS '
    '(86400); any other answer fails the delivery. An endpoint whose attempts all fail for WEBHOOK_DISABLE_AFTER_SECS (86400) is '
    'disabled (enabled false, disabled_reason); PATCH {"enabled": true} resumes from where it stopped. URLs resolving to loopback, '
    'private, link-local or metadata addresses are refused when saved (422 on url) and when delivering, unless '
    'OUTBOUND_ALLOW_PRIVATE=true. webwidget_triggered is accepted and never sent: there is no web widget channel.')
NOTES = {
    ('get', '/api/v1/accounts/{account_id}/webhooks'): WEBHOOK_NOTE,
    ('post', '/api/v1/accounts/{account_id}/webhooks'): WEBHOOK_NOTE + ' Without subscriptions: the reference\'s default eight.',
    ('patch', '/api/v1/accounts/{account_id}/webhooks/{webhook_id}'): WEBHOOK_NOTE,
    ('delete', '/api/v1/accounts/{account_id}/webhooks/{webhook_id}'): WEBHOOK_NOTE,
    ('post', '/api/v1/accounts/{account_id}/inboxes'):
        'WhatsApp inboxes: channel {"type": "whatsapp", "phone_number": "+57300…", "provider": "aldeamo", "provider_config": '
        '{"api_url", "api_key", "user_id", "waba_id", "namespace"?, "after_crash"?: "hold"|"resend"}}. The api_key is never shown '
        'again (masked); the answer\'s webhook_url ({PUBLIC_URL}/webhooks/whatsapp/{token}, administrators only) is what the BSP '
        'must call, and message_templates lists the templates. after_crash (default hold) decides a send whose outcome a crash left '
        'unknown: hold marks it failed with "outcome unknown", resend sends it again. api_url and provider_url may not be '
        'loopback, private, link-local or metadata addresses (422) unless the server runs with OUTBOUND_ALLOW_PRIVATE=true.',
    ('patch', '/api/v1/accounts/{account_id}/inboxes/{id}'):
        'WhatsApp inboxes: channel.provider_config updates the BSP settings; fields left out keep their value, and an api_key left '
        'out or sent back masked keeps the stored key. A private or local api_url is refused (422).',
    ('post', '/api/v1/accounts/{account_id}/actions/contact_merge'):
        'Merging deletes the mergee, so it needs the role deleting a contact needs: administrators (agents get 401).',
    ('get', '/api/v1/accounts/{account_id}/contacts/search'):
        'Searches and filters are limited per user (120 a minute by default): past the limit, 429 with Retry-After.',
    ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages'):
        'On WhatsApp inboxes, outgoing non-private messages are checked now (422 naming the field) and sent by a job: status is '
        '"progress" until the BSP takes it ("sent", with its id as source_id) or refuses it ("failed", with '
        'content_attributes.external_error). Free-form messages need a contact message in the last 24 hours (else 422 on "message"); '
        'templates (template_params: name, language, header[], body[] or processed_params, buttons[{index, sub_type, parameters}]) '
        'are always allowed. content_attributes.location / contacts / interactive send those WhatsApp types; input_select with '
        'items sends buttons (up to 3) or a list; one attachment per message.',
    ('post', '/api/v1/accounts/{account_id}/contacts/{id}/sync_group'):
        'Queues the sync and answers 202 with the group as it is now; when the sync is done, contact.group_synced carries the '
        'group and its members to every user of the account. 400 when the contact is not a group with a JID in a Baileys '
        'inbox; 401 for an agent who does not work in that inbox.',
    ('get', '/api/v1/accounts/{account_id}/contacts/{id}/group_members'):
        'per_page is clamped to 1-100; meta also says is_inbox_admin. 400 when the contact is not a group; 401 for an agent '
        'who does not work in its inbox.',
}
GROUP_WRITE = ("Goes to the provider first: only what it accepted changes here, followed by activity lines in the group's "
               "conversation and contact.group_synced. A provider failure is 422 naming its cause, and nothing changes. "
               "422 'Contact is not a valid group' (code invalid_group) for a contact that is not a group with a JID in a "
               "Baileys inbox, and code group_left once the inbox's number has left it; 401 for an agent who does not work "
               "in the group's inbox.")
GROUP_NOTES = {
    ('post', 'contacts/{id}/group_members'): "One provider call per participant (a number with or without +, or a JID; at most 50). "
        "The answer is each participant's outcome: {payload: [{participant, jid, status, success, error}]}; those the provider "
        "added become members. 422 participants_required for an empty list; when every call failed, 422 with the first cause.",
    ('patch', 'contacts/{id}/group_members/{member_id}'): "member_id is the membership's id (group_members[].id). Answers "
        "{payload: group_member}. 422 invalid_role, or group_creator_not_modifiable when the provider answers 406.",
    ('delete', 'contacts/{id}/group_members/{member_id}'): "422 group_creator_not_modifiable when the provider answers 406.",
    ('patch', 'contacts/{id}/group_metadata'): "JSON {subject, description}, or multipart/form-data with those fields and the "
        "picture as avatar (an image, within MAX_ATTACHMENT_BYTES). Subjects are 1-100 characters, descriptions at most 2048.",
    ('get', 'contacts/{id}/group_invite'): "The current invite code, from the provider.",
    ('post', 'contacts/{id}/group_invite/revoke'): "The old link stops working; the new code is kept in additional_attributes.invite_code.",
    ('get', 'contacts/{id}/group_join_requests'): "Each request is {jid, phone_number, request_time}; a provider that hides them "
        "(403: our number is not an admin) lists none.",
    ('post', 'contacts/{id}/group_join_requests/handle'): "Handled requests leave additional_attributes.pending_join_requests; "
        "approved people become members.",
    ('patch', 'contacts/{id}/group_admin'): "property is announce, restrict, join_approval_mode or member_add_mode (else 422 "
        "invalid_property); the value is kept in additional_attributes.",
    ('post', 'contacts/{id}/group_admin/leave'): "The group is marked left for the inbox and its open and pending conversations "
        "are resolved; replies to it are refused (422 group_left) and syncs skip it until the number is added back.",
    ('post', 'groups'): "inbox_id must be a Baileys WhatsApp inbox of the account (else 422 on inbox_id). The group contact and "
        "its members are created from the provider's answer, with contact.group_synced; the answer also has contact_id. 401 "
        "for an agent who does not work in the inbox.",
}
for (method, rest), note in GROUP_NOTES.items():
    NOTES[(method, '/api/v1/accounts/{account_id}/' + rest)] = note if rest == 'groups' else note + ' ' + GROUP_WRITE
NOTES[('patch', '/api/v1/accounts/{account_id}')] = (NOTES.get(('patch', '/api/v1/accounts/{account_id}'), '') + ' slug (administrators): how integrators '
    'name the account in the integrator APIs (api-login); 3 to 63 lowercase letters, digits and hyphens, unique (422 taken); null removes it.').strip()
NOTES[('post', '/api/v1/accounts/{account_id}/inboxes')] += (
    ' With "provider": "baileys", provider_config is {"provider_url", "api_key"}: the number\'s connection is opened at the '
    'provider first (its webhook is the inbox\'s webhook_url), and a provider that refuses it makes the answer a 422.')
APPLIED_NOTES = set()
for (method, path), note in NOTES.items():
    op = paths[path][method]
    op['description'] = (op.get('description', '') + '\n\n' + note).strip()
    APPLIED_NOTES.add((method, path))

# sync_group queues the sync: it answers 202, where the reference documents 200.
sync_group = paths['/api/v1/accounts/{account_id}/contacts/{id}/sync_group']['post']
sync_group['responses'] = {('202' if code == '200' else code): r for code, r in sync_group['responses'].items()}
sync_group['responses']['202'] = dict(sync_group['responses']['202'],
                                      description='Accepted: the sync is queued; the answer is the group as it is now')

# Errors: every answer that is not a success has one of these bodies. The reference documents
# some error answers per operation; ours are the same everywhere, so each operation lists them
# all (a client can meet any of them: a body it cannot read, no or a bad token, a role or inbox
# it lacks, another account's id, a field refused, a throttle, a database that is away).
ERROR_BODY = {'$ref': '#/components/schemas/error'}
EXTRA_SCHEMAS['error'] = {
    'type': 'object', 'description': 'Any error answer. 422s name the field in message, attributes and errors[].field.',
    'properties': {
        'error': {'type': 'string'},
        'message': {'type': 'string'},
        'attributes': {'type': 'array', 'items': {'type': 'string'}},
        'errors': {'type': 'array', 'items': {'anyOf': [{'type': 'string'}, {'type': 'object', 'properties': {
            'field': {'type': 'string'}, 'message': {'type': 'string'}, 'code': {'type': 'string'}}}]}},
        'success': {'type': 'boolean'},
        'provider_error': {'type': 'string'},
    }}
ERRORS = {
    '400': 'Malformed request (unreadable JSON, a query that is not the expected shape)',
    '401': 'No credentials, or an invalid token',
    '403': 'The role or the inbox membership does not allow it',
    '404': 'No such resource in this account (another account\'s resource is a 404)',
    '413': 'Body too large',
    '422': 'A field is missing or invalid: the answer names it',
    '429': 'Throttled (sign-in attempts, searches and filters, an account\'s report time): retry after Retry-After seconds',
    '503': 'The database is unavailable or the request ran out of time: retry',
}
for path, item in paths.items():
    for method, op in item.items():
        if path in ('/health', '/cable'):
            continue
        for code, desc in ERRORS.items():
            if code == '401' and op.get('security') == [] and path != '/auth/sign_in':
                continue
            op['responses'][code] = resp(ERROR_BODY, desc)
        op['responses'] = dict(sorted(op['responses'].items()))

# Where the reference's schemas differ from what Chatwoot (and so Switchboard) answers.
def prop(schema, dotted):
    node = components_source[schema]
    for part in dotted.split('.'):
        if part == '[]':
            node = node['items']
        elif part.startswith('allOf'):
            node = node['allOf'][int(part[5:])]
        else:
            node = node['properties'][part]
    return node
components_source = ref['components']['schemas']
# WhatsApp inboxes of a Baileys-style provider say whether groups are delivered or soft-disabled.
components_source['inbox']['properties']['groups_enabled'] = {
    'type': 'boolean', 'description': 'Baileys-provider WhatsApp inboxes: group messages are delivered (WHATSAPP_GROUPS_ENABLED=true) '
                                      'or groups are soft-disabled (activity summaries only)'}
components_source['inbox']['properties']['callback_webhook'] = {'type': 'object', 'nullable': True,
    'description': "Administrators, API inboxes: the endpoint that delivers the inbox's events to its webhook_url (null without one); "
                   "its delivery log is GET …/webhooks/{id}/deliveries",
    'properties': {'id': {'type': 'integer'}, 'enabled': {'type': 'boolean'}, 'disabled_reason': {'type': 'string', 'nullable': True},
                   'failing_since': {'type': 'integer', 'nullable': True}}}
# WhatsApp inboxes on the BSP: what getPhoneNumbers says of the number, refreshed with the template sync.
for k, d in (('verified_name', 'The name WhatsApp verified for the number'), ('display_phone_number', 'As the BSP shows it'),
             ('quality_rating', 'GREEN, YELLOW, RED or UNKNOWN'), ('code_verification_status', 'VERIFIED, NOT_VERIFIED, …')):
    components_source['inbox']['properties'][k] = {'type': 'string', 'nullable': True,
        'description': d + ". BSP inboxes, from getPhoneNumbers with the template sync; null until the inbox has an analytics_token"}
components_source['inbox']['properties']['phone_number_checked_at'] = {'type': 'integer', 'nullable': True,
    'description': 'Administrators: when getPhoneNumbers was last asked (epoch seconds)'}
components_source['inbox']['properties']['phone_number_check_error'] = {'type': 'string', 'nullable': True,
    'description': 'Administrators: why the last getPhoneNumbers failed (the details shown are then the last good ones)'}
# Webhooks: our fields, and the events the reference sends beyond the schema's enum.
WEBHOOK_EVENTS = ['conversation_created', 'conversation_status_changed', 'conversation_updated', 'contact_created', 'contact_updated',
                  'message_created', 'message_updated', 'webwidget_triggered', 'inbox_created', 'inbox_updated',
                  'conversation_typing_on', 'conversation_typing_off']
for schema in ('webhook', 'webhook_create_update_payload'):
    components_source[schema]['properties']['subscriptions']['items']['enum'] = WEBHOOK_EVENTS
components_source['webhook_create_update_payload']['properties']['enabled'] = {'type': 'boolean',
    'description': 'Ours: true enables a webhook disabled after failing (its waiting deliveries go out, in order); false disables it'}
components_source['webhook_create_update_payload']['additionalProperties'] = False
components_source['webhook']['properties'].update({
    'id': {'type': 'integer'}, 'account_id': {'type': 'integer'},
    'name': {'type': 'string', 'nullable': True},
    'inbox_id': {'type': 'integer', 'nullable': True, 'description': "Set for an API inbox's callback endpoint"},
    'secret': {'type': 'string', 'description': 'Signs deliveries (X-Chatwoot-Signature); rotate with POST …/rotate_secret'},
    'enabled': {'type': 'boolean'},
    'disabled_reason': {'type': 'string', 'nullable': True, 'description': 'Why it was disabled (it failed for WEBHOOK_DISABLE_AFTER_SECS, or an administrator)'},
    'disabled_at': {'type': 'integer', 'nullable': True}, 'failing_since': {'type': 'integer', 'nullable': True,
        'description': 'Since when every attempt has failed; null while the receiver answers'},
    'created_at': {'type': 'integer'}, 'updated_at': {'type': 'integer'}})
# Agent bots: our fields, and what their tokens may do.
BOT_NOTE = ('A bot hears its inboxes\' message_created, message_updated, conversation_opened (a conversation opened again, or handed '
    'over) and conversation_resolved at outgoing_url, in the reference\'s flat payloads, with the same signature (its secret), '
    'retries, order per conversation and at-least-once guarantee as account webhooks. While a bot is on an inbox, new conversations '
    'start pending. The bot answers with its access_token as api_access_token, which reaches three operations only: create a '
    'conversation, toggle its status and create a message, in the inboxes it answers (anything else is 401; another account or '
    'inbox, 404). Its messages show it as sender (sender_type AgentBot, sender.type agent_bot). When the bot opens a pending '
    'conversation (a handoff), the inbox\'s agents get a conversation_creation notification. bot_type is 0 (or "webhook"), the '
    'one type served; an avatar is given as avatar_url (uploads are not taken). outgoing_url may not be a loopback, private, '
    'link-local or metadata address unless OUTBOUND_ALLOW_PRIVATE=true. access_token and secret are shown to those who manage '
    'the bot: administrators of its account, or the platform app that made it.')
for key in [('get', '/api/v1/accounts/{account_id}/agent_bots'), ('post', '/api/v1/accounts/{account_id}/agent_bots'),
            ('get', '/api/v1/accounts/{account_id}/agent_bots/{id}'), ('patch', '/api/v1/accounts/{account_id}/agent_bots/{id}'),
            ('delete', '/api/v1/accounts/{account_id}/agent_bots/{id}')]:
    NOTES[key] = ('Members read (the account\'s own bots and the system bots of platform apps); administrators write. A system '
                  'bot may be put on an inbox but not changed here (401). ' + BOT_NOTE)
for key in [('get', '/platform/api/v1/agent_bots'), ('post', '/platform/api/v1/agent_bots'), ('get', '/platform/api/v1/agent_bots/{id}'),
            ('patch', '/platform/api/v1/agent_bots/{id}'), ('delete', '/platform/api/v1/agent_bots/{id}')]:
    NOTES[key] = ('Only the bots this app made (another app\'s are 404). Without account_id the bot is a system bot every account may '
                  'put on its inboxes; with one, it belongs to that account, which the app must have made (404 otherwise). ' + BOT_NOTE)
NOTES[('get', '/api/v1/accounts/{account_id}/inboxes/{id}/agent_bot')] = ('{"agent_bot": {…}} or {"agent_bot": null}, as the '
    'reference answers, to members of the inbox. ' + BOT_NOTE)
NOTES[('post', '/api/v1/accounts/{account_id}/inboxes/{id}/set_agent_bot')] = ('Administrators. {"agent_bot": id} puts one of the '
    'account\'s bots or a system bot on the inbox (another account\'s bot, or none, is 404); {"agent_bot": null} takes it away. ' + BOT_NOTE)
for key in [('post', '/api/v1/accounts/{account_id}/conversations'),
            ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_status'),
            ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages')]:
    NOTES[key] = (NOTES.get(key, '') + ' An agent bot\'s access_token may call this, in the inboxes the bot answers.').strip()
components_source['agent_bot']['properties'].update({
    'id': {'type': 'integer'}, 'description': {'type': 'string', 'nullable': True},
    'outgoing_url': {'type': 'string', 'nullable': True, 'description': 'Where the bot hears its inboxes\' events'},
    'bot_type': {'type': 'string', 'enum': ['webhook']},
    'account_id': {'type': 'integer', 'nullable': True, 'description': 'Null for a system bot'},
    'access_token': {'type': 'string', 'description': 'Shown to those who manage the bot'},
    'secret': {'type': 'string', 'description': 'Signs its deliveries (X-Chatwoot-Signature), shown to those who manage the bot'},
    'created_at': {'type': 'integer'}, 'updated_at': {'type': 'integer'}})
for schema in ('agent_bot_create_update_payload', 'platform_agent_bot_create_update_payload'):
    components_source[schema]['properties'].pop('avatar', None)
    components_source[schema]['properties']['bot_type'] = {'description': '0 or "webhook"', 'oneOf': [{'type': 'integer', 'enum': [0]},
                                                                                                   {'type': 'string', 'enum': ['0', 'webhook']}]}
    components_source[schema]['additionalProperties'] = False
components_source['agent_bot_create_update_payload']['properties']['bot_config'] = {'type': 'object'}
components_source['platform_agent_bot_create_update_payload']['properties']['account_id'] = {'type': 'integer', 'nullable': True,
    'description': 'The account the bot belongs to (one this app made); null or absent: a system bot'}
# Integrations: the apps that work here (the webhook app, whose hooks are the account's webhooks).
HOOK_NOTE = ('The only app provided is "webhook": its hooks are the account\'s webhooks (the same ones GET …/webhooks lists, with '
    'the same delivery guarantees), settings {url, subscriptions, name}; status 1 or 0 turns one on or off. Any other app_id '
    '(the reference\'s Slack, Dialogflow, …) is 404: we do not pretend to provide it. Administrators write; members list the apps '
    '(hooks\' settings, which hold the signing secret, only administrators see).')
for key in [('get', '/api/v1/accounts/{account_id}/integrations/apps'), ('post', '/api/v1/accounts/{account_id}/integrations/hooks'),
            ('patch', '/api/v1/accounts/{account_id}/integrations/hooks/{hook_id}'), ('delete', '/api/v1/accounts/{account_id}/integrations/hooks/{hook_id}')]:
    NOTES[key] = HOOK_NOTE
components_source['integrations_app']['properties'].update({
    'id': {'type': 'string', 'enum': ['webhook']}, 'action': {'type': 'string'},
    'hooks': {'type': 'array', 'items': {'$ref': '#/components/schemas/integrations_hook'}}})
components_source['integrations_hook']['properties'].update({
    'id': {'type': 'integer', 'description': 'The webhook\'s id'}, 'app_id': {'type': 'string'},
    'inbox_id': {'type': 'integer', 'nullable': True}, 'account_id': {'type': 'integer'},
    'hook_type': {'type': 'string', 'enum': ['account', 'inbox']},
    'settings': {'type': 'object', 'description': 'url, subscriptions, name, secret and disabled_reason (administrators; {} for agents)'}})
HOOK_SETTINGS = {'type': 'object', 'additionalProperties': False, 'properties': {
    'url': {'type': 'string'}, 'name': {'type': 'string', 'nullable': True},
    'subscriptions': {'type': 'array', 'items': {'type': 'string', 'enum': WEBHOOK_EVENTS}}}}
HOOK_STATUS = {'description': '1 (active) or 0 (inactive); true or false too', 'oneOf': [{'type': 'integer', 'enum': [0, 1]}, {'type': 'boolean'}]}
components_source['integrations_hook_create_payload']['properties'].update({
    'app_id': {'type': 'string', 'example': 'webhook', 'description': 'The app\'s id: "webhook"'}, 'status': HOOK_STATUS, 'settings': HOOK_SETTINGS})
components_source['integrations_hook_create_payload']['additionalProperties'] = False
components_source['integrations_hook_update_payload']['properties'].update({'status': HOOK_STATUS, 'settings': HOOK_SETTINGS})
components_source['integrations_hook_update_payload']['additionalProperties'] = False
# The public client API.
PUBLIC_NOTE = ('Public: no user token. The inbox is an API inbox\'s inbox_identifier (any other inbox is 404) and the contact is '
    'its source_id in that inbox (contact_identifier); a contact reaches only its own conversations in that inbox, and anything '
    'else (another contact\'s, inbox\'s or account\'s) is 404. Requests are counted per client address and per inbox '
    '(PUBLIC_REQUESTS_PER_MINUTE_PER_IP, 300, and …_PER_INBOX, 6000, shared by every process through Redis): beyond, 429 with '
    'Retry-After. Message content is stored and returned as text, never rendered. Live updates: subscribe to /cable with the '
    'contact\'s pubsub_token alone; it receives its conversations\' public messages, status changes and agents\' typing, '
    'never private notes, activity lines or other contacts\' events.')
for key in [('get', '/public/api/v1/inboxes/{inbox_identifier}'), ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts'), ('get', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}'), ('patch', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}'), ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations'), ('get', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations'), ('get', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}'), ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_status'), ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_typing'), ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/update_last_seen'), ('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages'), ('get', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages'), ('patch', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages/{message_id}')]:
    NOTES[key] = PUBLIC_NOTE
NOTES[('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts')] = ('Identity verification: where the inbox requires it '
    '(hmac_mandatory, shown as identity_validation_enabled), an identifier needs identifier_hash = hex HMAC-SHA256(inbox hmac_token, '
    'identifier); a missing or wrong hash is 401. A verified identifier the account knows gets a new identity (source_id) of that '
    'contact: one customer on two devices is one contact. An unproven identifier never reaches a known contact (422 if taken). ') + PUBLIC_NOTE
NOTES[('patch', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}')] = ('The same identity rules as creating: '
    'a verified identifier of another contact merges this one into it. ') + PUBLIC_NOTE
NOTES[('patch', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages/{message_id}')] = (
    'Answers a message that asks (input_select, form, input_csat, input_*): submitted_values (an object or a list of objects) is kept '
    'in content_attributes, replacing an earlier answer, and message.updated reaches the agents, the contact, webhooks and the '
    'inbox\'s bot. Any other message: 422 on submitted_values. ') + PUBLIC_NOTE
NOTES[('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_status')] = (
    'The contact resolves the conversation. ') + PUBLIC_NOTE
NOTES[('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_typing')] = (
    'typing_status on, recording (agents see it as typing) or off. ') + PUBLIC_NOTE
NOTES[('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/messages')] = (
    'Text (content, echo_id), or a multipart form with attachments[] files, with the agent API\'s limits. ') + PUBLIC_NOTE
INT_NULL = {'type': 'integer', 'nullable': True}
STR_NULL = {'type': 'string', 'nullable': True}
for k in ('open_hour', 'open_minutes', 'close_hour', 'close_minutes'):
    components_source['public_inbox']['properties']['working_hours']['items']['properties'][k]['nullable'] = True
components_source['public_inbox']['properties'].update({'out_of_office_message': STR_NULL, 'greeting_message': STR_NULL,
    'enable_email_collect': {'type': 'boolean'}})
components_source['public_contact']['properties'].update({'id': {'type': 'integer'}, 'email': STR_NULL, 'phone_number': STR_NULL,
    'identifier': STR_NULL, 'custom_attributes': {'type': 'object'},
    'hmac_verified': {'type': 'boolean', 'description': 'This identity proved its identifier with identifier_hash'}})
components_source['public_message']['properties'].update({'id': {'type': 'integer'}, 'content': STR_NULL,
    'message_type': {'type': 'integer', 'description': '0 incoming (the contact), 1 outgoing, 3 template'},
    'content_attributes': {'type': 'object'}, 'created_at': {'type': 'integer'}, 'conversation_id': {'type': 'integer'},
    'status': {'type': 'string'}, 'echo_id': STR_NULL,
    'sender': {'type': 'object', 'nullable': True, 'description': 'id, name, thumbnail and type (contact, user or agent_bot); never an agent\'s email'}})
components_source['public_conversation']['properties'].update({'id': {'type': 'integer', 'description': 'The display id'},
    'uuid': {'type': 'string'}, 'inbox_id': {'type': 'integer'}, 'status': {'type': 'string', 'enum': ['open', 'resolved', 'pending', 'snoozed']},
    'contact_last_seen_at': INT_NULL, 'agent_last_seen_at': INT_NULL, 'custom_attributes': {'type': 'object'},
    'created_at': {'type': 'integer'}, 'last_activity_at': {'type': 'integer'},
    'messages': {'type': 'array', 'description': 'Its latest 20 public messages, oldest first',
                 'items': {'$ref': '#/components/schemas/public_message'}}})
components_source['public_contact_create_update_payload']['properties'].pop('avatar', None)
components_source['public_contact_create_update_payload']['additionalProperties'] = False
components_source['public_message_create_payload']['additionalProperties'] = False
components_source['public_message_update_payload']['properties']['submitted_values'] = {
    'description': 'An object, or a list of objects (an input_select\'s chosen items)', 'oneOf': [{'type': 'object'}, {'type': 'array', 'items': {'type': 'object'}}]}
components_source['public_message_update_payload']['additionalProperties'] = False
# CSAT.
CSAT_FILTERS = [{'name': 'since', 'in': 'query', 'schema': {'type': 'string'}, 'description': 'Epoch seconds, RFC 3339 or a date'},
    {'name': 'until', 'in': 'query', 'schema': {'type': 'string'}, 'description': 'Epoch seconds, RFC 3339 or a date (its end)'},
    {'name': 'inbox_id', 'in': 'query', 'schema': {'type': 'integer'}},
    {'name': 'user_ids[]', 'in': 'query', 'schema': {'type': 'array', 'items': {'type': 'integer'}}, 'description': 'The agent who had the conversation'},
    {'name': 'rating', 'in': 'query', 'schema': {'type': 'string'}, 'description': 'One rating or a comma-separated list (1-5)'}]
CSAT_RESPONSE = {'type': 'object', 'properties': {'id': {'type': 'integer'}, 'rating': {'type': 'integer', 'minimum': 1, 'maximum': 5},
    'feedback_message': STR_NULL, 'conversation_id': INT_NULL, 'inbox_id': {'type': 'integer'}, 'message_id': {'type': 'integer'},
    'contact': {'type': 'object', 'nullable': True}, 'assigned_agent': {'type': 'object', 'nullable': True},
    'created_at': {'type': 'integer'}, 'updated_at': {'type': 'integer'}}}
CSAT_NOTE = ('Administrators. Resolving a conversation of an inbox with csat_survey_enabled sends the contact an input_csat message '
    '("Please rate this conversation"). On an API inbox the contact answers with PATCH …/messages/{id} {"submitted_values": '
    '{"csat_survey_response": {"rating": 1-5, "feedback_message"}}} on the public client API; on WhatsApp the survey goes out as '
    'text and the customer\'s reply that is a number from 1 to 5 (within a day) is the rating. One response per survey (so per '
    'resolution); a second answer replaces the first. Parameters are lenient: anything unreadable narrows nothing.')
OURS[('get', '/api/v1/accounts/{account_id}/csat_survey_responses')] = {
    'operationId': 'list-csat-survey-responses', 'summary': 'CSAT answers, newest first (25 a page)', 'description': CSAT_NOTE,
    'parameters': [ACC, *CSAT_FILTERS, {'name': 'page', 'in': 'query', 'schema': {'type': 'integer'}}],
    'responses': {'200': resp({'type': 'object', 'properties': {'meta': {'type': 'object', 'properties': {'count': {'type': 'integer'},
        'current_page': {'type': 'integer'}}}, 'payload': {'type': 'array', 'items': CSAT_RESPONSE}}})}}
OURS[('get', '/api/v1/accounts/{account_id}/csat_survey_responses/metrics')] = {
    'operationId': 'csat-survey-metrics', 'summary': 'CSAT metrics: counts, satisfaction score and response rate', 'description': CSAT_NOTE +
    ' satisfaction_score: the percent of answers rated 4 or 5; response_rate: answers per survey sent, in percent.',
    'parameters': [ACC, *CSAT_FILTERS],
    'responses': {'200': resp({'type': 'object', 'properties': {'total_count': {'type': 'integer'}, 'total_sent_messages_count': {'type': 'integer'},
        'ratings_count': {'type': 'object', 'additionalProperties': {'type': 'integer'}}, 'satisfaction_score': {'type': 'number'},
        'response_rate': {'type': 'number'}}})}}
paths['/api/v1/accounts/{account_id}/csat_survey_responses'] = {'get': OURS[('get', '/api/v1/accounts/{account_id}/csat_survey_responses')]}
paths['/api/v1/accounts/{account_id}/csat_survey_responses/metrics'] = {'get': OURS[('get', '/api/v1/accounts/{account_id}/csat_survey_responses/metrics')]}
for path in ('/api/v1/accounts/{account_id}/csat_survey_responses', '/api/v1/accounts/{account_id}/csat_survey_responses/metrics'):
    for code, desc in ERRORS.items():
        paths[path]['get']['responses'][code] = resp(ERROR_BODY, desc)
    paths[path]['get']['responses'] = dict(sorted(paths[path]['get']['responses'].items()))
NOTES[('get', '/survey/responses/{conversation_uuid}')] = ('The data of a survey page (JSON): the conversation\'s latest survey and its '
    'answer. 404 for an unknown uuid or a conversation without a survey. Counted against the caller\'s address like the public client API.')
# Canned responses.
CANNED_NOTE = ('Members read (?search= narrows to short codes or contents holding the term, case-insensitive); administrators write. '
    'short_code is one word, unique per account whatever its case (422 on short_code). A message created with canned_response_id '
    '(POST …/conversations/{id}/messages) is that response with its variables rendered: {{contact.name}}, {{contact.first_name}}, '
    '{{contact.last_name}}, {{contact.email}}, {{contact.phone}}, {{contact.id}}, {{agent.name}}, {{agent.first_name}}, '
    '{{agent.last_name}}, {{agent.email}}, {{conversation.id}}, {{inbox.name}}, {{account.name}}; an unknown variable is left as written.')
for key in [('get', '/api/v1/accounts/{account_id}/canned_responses'), ('post', '/api/v1/accounts/{account_id}/canned_responses'),
            ('patch', '/api/v1/accounts/{account_id}/canned_responses/{id}'), ('delete', '/api/v1/accounts/{account_id}/canned_responses/{id}')]:
    NOTES[key] = CANNED_NOTE
components_source['canned_response']['properties'].update({'id': {'type': 'integer'}, 'account_id': {'type': 'integer'},
    'created_at': {'type': 'string', 'format': 'date-time'}, 'updated_at': {'type': 'string', 'format': 'date-time'}})
components_source['canned_response_create_update_payload']['additionalProperties'] = False
components_source['conversation_message_create_payload']['properties']['canned_response_id'] = {'type': 'integer',
    'description': 'Ours: the message is this canned response, its variables rendered for the conversation (see canned responses)'}
# Custom attribute definitions.
DEFAULT_VALUE = {'nullable': True, 'description': 'Any JSON value (a text, number or boolean)',
                 'oneOf': [{'type': 'string'}, {'type': 'number'}, {'type': 'boolean'}]}
ATTR_NOTE = ('Members read (attribute_model narrows: conversation_attribute/0 or contact_attribute/1, anything else lists all); '
    'administrators write. attribute_key is letters, digits and underscores, unique per account and model (422). A list needs '
    'attribute_values; regex_pattern must compile. Once defined, a key is checked wherever contacts\' or conversations\' '
    'custom_attributes are written (contacts, conversations, their custom_attributes endpoints, the public client API): numbers '
    '(number, currency, percent) must be numbers, checkbox true or false, link an http(s) URL, date YYYY-MM-DD or RFC 3339, list one '
    'of its values, text must match regex_pattern; null clears. A failure is 422 naming custom_attributes.<key> (with regex_cue as '
    'its message when given). Undefined keys are accepted, as the reference does.')
for m, path in [('get', '/api/v1/accounts/{account_id}/custom_attribute_definitions'), ('post', '/api/v1/accounts/{account_id}/custom_attribute_definitions'),
                ('get', '/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}'), ('patch', '/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}'),
                ('delete', '/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}')]:
    NOTES[(m, path)] = ATTR_NOTE
components_source['custom_attribute']['properties'].update({'id': {'type': 'integer'},
    'attribute_display_type': {'type': 'string', 'enum': ['text', 'number', 'currency', 'percent', 'link', 'date', 'list', 'checkbox']},
    'attribute_model': {'type': 'string', 'enum': ['conversation_attribute', 'contact_attribute']},
    'attribute_description': STR_NULL, 'regex_pattern': STR_NULL, 'regex_cue': STR_NULL,
    'attribute_values': {'type': 'array', 'items': {'type': 'string'}}, 'default_value': DEFAULT_VALUE,
    'created_at': {'type': 'string', 'format': 'date-time'}, 'updated_at': {'type': 'string', 'format': 'date-time'}})
ATTR_PAYLOAD = components_source['custom_attribute_create_update_payload']
ATTR_PAYLOAD['properties']['attribute_display_type'] = {'description': 'A name, or the reference\'s number: text 0, number 1, currency 2, '
    'percent 3, link 4, date 5, list 6, checkbox 7', 'oneOf': [{'type': 'integer', 'minimum': 0, 'maximum': 7}, {'type': 'string'}]}
ATTR_PAYLOAD['properties']['attribute_model'] = {'description': 'conversation_attribute (0) or contact_attribute (1)',
    'oneOf': [{'type': 'integer', 'enum': [0, 1]}, {'type': 'string'}]}
ATTR_PAYLOAD['properties']['default_value'] = DEFAULT_VALUE
ATTR_PAYLOAD['additionalProperties'] = False
# Saved filters.
FILTER_NOTE = ('Each user\'s own: another user\'s filter, like another account\'s, is a 404. query is the filter API\'s payload '
    '({"payload": [{attribute_key, filter_operator, values, query_operator}]}); conversation and contact filters are checked when '
    'saved (422 naming query.payload[i].…). GET conversations?custom_filter_id= and GET contacts?custom_filter_id= run one, with the '
    'filter endpoints\' paging and counts; a filter of another type, or one that no longer validates, is a 422 naming '
    'custom_filter_id or the condition.')
for m, path in [('get', '/api/v1/accounts/{account_id}/custom_filters'), ('post', '/api/v1/accounts/{account_id}/custom_filters'),
                ('get', '/api/v1/accounts/{account_id}/custom_filters/{custom_filter_id}'),
                ('patch', '/api/v1/accounts/{account_id}/custom_filters/{custom_filter_id}'),
                ('delete', '/api/v1/accounts/{account_id}/custom_filters/{custom_filter_id}')]:
    NOTES[(m, path)] = FILTER_NOTE
components_source['custom_filter']['properties'].update({'id': {'type': 'integer'}})
components_source['custom_filter_create_update_payload']['additionalProperties'] = False
# Automation rules.
RULE_NOTE = ('Administrators only. event_name: conversation_created, conversation_updated (any change of status, assignee, team, '
    'priority, labels or attributes), conversation_resolved or message_created. conditions are the filter API\'s '
    '({attribute_key, filter_operator, values, query_operator}; AND binds tighter than OR) over the conversation (status, priority, '
    'assignee_id, inbox_id, team_id, contact_id, display_id, labels, created_at, last_activity_at, browser_language, referer, '
    'group_type), the message (message_type: incoming, outgoing or template; content; private) and the contact (name, email, '
    'phone_number, identifier, city, country_code, company), and custom attributes (the conversation\'s, else the contact\'s; a '
    'defined number compares as a number, a date as a date). actions: assign_agent [user id or "nil"], assign_team [team id or '
    '"nil"], add_label [labels], remove_label [labels], send_message [text], add_private_note [text], send_webhook_event [url: '
    'POSTed through the webhook deliveries, signed, retried and logged, with the conversation and event "automation_event.<event>"; '
    'private addresses are refused], mute_conversation (resolved, and it stays resolved when the contact writes), '
    'snooze_conversation, resolve_conversation, open_conversation, change_priority [priority or "nil"], send_attachment [blob_id '
    'of attach_file]. Bad conditions or actions are a 422 naming conditions[i].… or actions[i].…. Rules run from the event log after '
    'the change commits: at least once, and at most once in effect (each rule records one run per event, in the transaction of its '
    'actions; an action that finds the conversation already so changes nothing). Changes made by rules carry their depth: rules do '
    'not run on events three rule steps deep, so rules that trigger each other stop. Each run is listed at …/runs.')
for m, path in [('get', '/api/v1/accounts/{account_id}/automation_rules'), ('post', '/api/v1/accounts/{account_id}/automation_rules'),
                ('get', '/api/v1/accounts/{account_id}/automation_rules/{id}'), ('patch', '/api/v1/accounts/{account_id}/automation_rules/{id}'),
                ('delete', '/api/v1/accounts/{account_id}/automation_rules/{id}')]:
    NOTES[(m, path)] = RULE_NOTE
RULE_ITEM = components_source['automation_rule_item']['properties']
RULE_ITEM['event_name']['enum'] = ['conversation_created', 'conversation_updated', 'conversation_resolved', 'message_created']
RULE_ITEM['conditions']['items']['properties']['values'] = {'type': 'array', 'items': {}, 'description': 'Texts, numbers or {id, name} objects'}
RULE_ITEM['actions']['items']['properties']['action_params'] = {'type': 'array', 'items': {}, 'description': 'Ids are numbers'}
RULE_PAYLOAD = components_source['automation_rule_create_update_payload']
RULE_PAYLOAD['additionalProperties'] = False
RULE_PAYLOAD['properties']['description']['nullable'] = True
# Audit logs.
AUDIT_NOTE = ('Administrators only; newest first, 15 a page. Written in the transaction of the change they record: sign-ins '
    '(sign_in, sign_in_failed: in every account of the user, with their address), and create, update and destroy of users\' '
    'profiles, agents (role changes included), inboxes, teams, labels, webhooks, automation rules, macros and access tokens. '
    'audited_changes is the object as the API shows it, without any secret (tokens, secrets, passwords, provider credentials). '
    'Entries cannot be edited or deleted.')
NOTES[('get', '/api/v1/accounts/{account_id}/audit_logs')] = AUDIT_NOTE
AUDIT = components_source['audit_log']['properties']
AUDIT['action']['enum'] = ['create', 'update', 'destroy', 'sign_in', 'sign_in_failed']
for key in ('auditable_id', 'user_id', 'user_type', 'username', 'request_uuid'):
    AUDIT[key]['nullable'] = True
AUDIT['auditable']['nullable'] = True
AUDIT['audited_changes'] = {'description': 'The object as the API shows it, without secrets', 'nullable': True}
# Scheduled messages.
SCHEDULED_NOTE = ('Anyone who may see the conversation. scheduled_at is RFC 3339 or epoch seconds; status draft (kept) or pending '
    '(sent at scheduled_at; must be in the future). Ours: recurrence {frequency: daily|weekly|monthly, ends_on: YYYY-MM-DD, '
    'max_sends: n} sends again on that rhythm (the message stays pending, sends counts them) until ends_on or max_sends; '
    'cancel_on_reply (default true) cancels the message (status cancelled) when the contact writes after it was scheduled. '
    'A message is created and sent like an agent\'s (through the send job), exactly once per occurrence even with several '
    'processes or after a restart. On WhatsApp BSP inboxes the 24-hour window and the template are checked when a message is '
    'scheduled (422) and again when it goes out: outside the window only a template (template_params) passes, and a message '
    'that cannot go out is failed with the reason in error. Only drafts and pending messages change or are deleted (422 on status '
    'otherwise). Events scheduled_message.created, .updated, .deleted and .sent reach the inbox\'s agents. A multipart form '
    'takes one file, attachment; template_params and recurrence may then be JSON text.')
for m, path in [('get', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages'), ('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages'), ('patch', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages/{scheduled_message_id}'), ('delete', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages/{scheduled_message_id}')]:
    NOTES[(m, path)] = SCHEDULED_NOTE
SCHED = components_source['scheduled_message']['properties']
SCHED['status']['enum'] = ['draft', 'pending', 'sent', 'failed', 'cancelled']
for key in ('content', 'template_params', 'author_id', 'author', 'attachment'):
    SCHED[key]['nullable'] = True
SCHED['attachment']['properties']['blob_id'] = {'type': 'string'}
SCHED.update({
    'recurrence': {'type': 'object', 'nullable': True, 'properties': {'frequency': {'type': 'string', 'enum': ['daily', 'weekly', 'monthly']},
        'ends_on': {'type': 'string', 'nullable': True}, 'max_sends': {'type': 'integer', 'nullable': True}}},
    'sends': {'type': 'integer'}, 'cancel_on_reply': {'type': 'boolean'},
    'error': {'type': 'string', 'nullable': True, 'description': 'Why it failed'},
    'message_id': {'type': 'integer', 'nullable': True, 'description': 'The last message it sent'},
    'message': {'type': 'object', 'description': 'scheduled_message.sent only: the message sent'}})
SPAY = components_source['scheduled_message_create_update_payload']
SPAY['additionalProperties'] = False
SPAY['properties']['scheduled_at'] = {'description': 'RFC 3339, or epoch seconds', 'oneOf': [{'type': 'string'}, {'type': 'integer'}]}
SPAY['properties']['content']['nullable'] = True
SPAY['properties']['template_params']['nullable'] = True
SPAY['properties']['recurrence'] = SCHED['recurrence']
SPAY['properties']['cancel_on_reply'] = {'type': 'boolean', 'default': True}
# Reports: figures are numbers (the reference's server sends numbers; its document says strings), from the reporting
# events and their roll-ups.
REPORT_NOTE = ('Members; an agent\'s figures cover only the inboxes they work in (another inbox, and another account\'s objects, are '
    '404). since and until are Unix seconds (until defaults to now, since to 30 days before until); a since not before until, an '
    'unreadable value, a range over 731 days, an unknown metric, type or group_by is a 422 naming the parameter. Figures come '
    'from the reporting events (see reporting_events) rolled up per quarter hour and per UTC day, never from the messages. '
    'Counts: conversations_count (conversations created; for an agent, team or label: given to it in the range), '
    'incoming_messages_count and outgoing_messages_count (private notes excluded; an agent\'s outgoing messages are those they '
    'sent, their incoming ones those of conversations assigned to them), resolutions_count, bot_resolutions_count (resolved with '
    'no assignee after only a bot answered), bot_handoffs_count. Averages in seconds: avg_first_response_time (conversation start '
    'to the first agent reply), avg_resolution_time (start to resolution), reply_time (a contact\'s message waiting for an agent '
    'reply, after the first response). business_hours=true uses each inbox\'s working hours in its timezone (0 where the inbox '
    'keeps none, as the reference). Any report is also CSV for administrators with Accept: text/csv. Each account\'s reports '
    'share a budget of time (REPORT_TIME_SHARE_PERCENT, 10% of real time, with a burst of REPORT_TIME_BURST_MS, 1,000): past it a '
    'report waits for its turn, and one that would wait more than REPORT_MAX_WAIT_SECS (10) is a 429 with Retry-After.')
for path in (V2 + '/reports', V2 + '/reports/summary', V2 + '/reports/conversations', V2 + '/reports/conversations/',
             V2 + '/summary_reports/inbox', V2 + '/summary_reports/agent', V2 + '/summary_reports/team', V2 + '/summary_reports/channel',
             V2 + '/reports/first_response_time_distribution', V2 + '/reports/inbox_label_matrix', V2 + '/reports/outgoing_messages_count'):
    op = paths[path]['get']
    op['description'] = (op.get('description', '') + '\n\n' + REPORT_NOTE).strip()
    op['responses'].update({k: v for k, v in STD_ERRORS.items() if k not in op['responses']})
    op['responses']['200'].setdefault('content', {}).update(CSV)
series = paths[V2 + '/reports']['get']
series['responses']['200']['content']['application/json']['schema']['items']['properties'] = {
    'value': {'type': 'number', 'description': 'A count, or an average in seconds'},
    'timestamp': {'type': 'integer', 'description': 'The period\'s start (local midnight in timezone_offset), Unix seconds'},
    'count': {'type': 'integer', 'description': 'Averages only: how many values the average is over'}}
for path in (V2 + '/reports', V2 + '/reports/summary'):
    params = paths[path]['get'].setdefault('parameters', [])
    params += [{'name': 'business_hours', 'in': 'query', 'schema': {'type': 'boolean'}}]
params = paths[V2 + '/reports']['get']['parameters']
params += [{'name': 'group_by', 'in': 'query', 'schema': {'type': 'string', 'enum': ['day', 'week', 'month', 'year']},
            'description': 'Periods in timezone_offset; weeks start on Monday. Every period of the range is answered, zeros included.'},
           {'name': 'timezone_offset', 'in': 'query', 'schema': {'type': 'number'}, 'description': 'Hours from UTC, e.g. -5 or 5.5'}]
METRICS = ['conversations_count', 'incoming_messages_count', 'outgoing_messages_count', 'avg_first_response_time',
           'avg_resolution_time', 'reply_time', 'resolutions_count', 'bot_resolutions_count', 'bot_handoffs_count']
ref['components']['parameters']['report_metric']['schema']['enum'] = METRICS
FIGURES = {'avg_first_response_time': {'type': 'number'}, 'avg_resolution_time': {'type': 'number'}, 'reply_time': {'type': 'number'},
           'conversations_count': {'type': 'integer'}, 'incoming_messages_count': {'type': 'integer'},
           'outgoing_messages_count': {'type': 'integer'}, 'resolutions_count': {'type': 'integer'},
           'bot_resolutions_count': {'type': 'integer'}, 'bot_handoffs_count': {'type': 'integer'}}
components_source['account_summary'] = {'type': 'object', 'description': 'The range\'s figures, and the same for the range of equal length just before',
    'properties': {**FIGURES, 'previous': {'type': 'object', 'properties': FIGURES}}}
LIVE = {'type': 'object', 'properties': {'open': {'type': 'integer'}, 'unattended': {'type': 'integer', 'description': 'Open, and never answered or waiting for a reply'},
        'unassigned': {'type': 'integer'}, 'pending': {'type': 'integer'}}}
AGENTS_LIVE = {'type': 'array', 'items': {'$ref': '#/components/schemas/agent_conversation_metrics'}}
for path in (V2 + '/reports/conversations', V2 + '/reports/conversations/'):
    op = paths[path]['get']
    op['responses']['200']['content']['application/json']['schema'] = {'oneOf': [LIVE, AGENTS_LIVE],
        'description': 'type=account: the live counts; type=agent: each agent\'s (or user_id\'s) open and unattended conversations'}
    for p in op.get('parameters', []) + paths[path].get('parameters', []):
        if p.get('name') == 'type':
            p['schema'] = {'type': 'string', 'enum': ['account', 'agent']}
            p['required'] = False
paths[V2 + '/reports/conversations']['get'].setdefault('parameters', []).append({'name': 'user_id', 'in': 'query', 'schema': {'type': 'string'}})
prop('agent_conversation_metrics', 'availability')['enum'] = ['online', 'busy', 'offline']
for kind in ('inbox', 'agent', 'team'):
    op = paths[f'{V2}/summary_reports/{kind}']['get']
    if not any(p.get('name') == 'business_hours' for p in op.get('parameters', []) + paths[f'{V2}/summary_reports/{kind}'].get('parameters', [])):
        op.setdefault('parameters', []).append({'name': 'business_hours', 'in': 'query', 'schema': {'type': 'boolean'}})
paths[V2 + '/summary_reports/channel']['get']['responses']['400'] = resp(ERR, 'The range is longer than 6 months')
paths[V2 + '/reports/outgoing_messages_count']['get']['responses']['422'] = resp(ERR, 'group_by missing or unknown')
NOTES_RE = ('Administrators (agents get 401). Newest first, 25 a page; since and until (Unix seconds) bound event_end_time; name is one of '
    'first_response, reply_time, conversation_resolved (or resolution), conversation_bot_resolved, conversation_opened, '
    'conversation_bot_handoff (422 otherwise, naming the parameter). Reporting events are derived from the event log by a reader of '
    'their own, exactly once each, in the transaction that moves its cursor; the log events they come from are kept (slim) so '
    'they can be rebuilt (switchboard rebuild-reports) and a rebuild gives the same rows. value is in seconds; '
    'value_in_business_hours counts only the inbox\'s working hours in its timezone. created_at is when what it measures ended. '
    'conversation_id is the conversation\'s display id. Reading them spends the account\'s report time, as the reports do (429 past it).')
op = paths['/api/v1/accounts/{account_id}/reporting_events']['get']
op['description'] = (op.get('description', '') + '\n\n' + NOTES_RE).strip()
op['responses'].update({k: v for k, v in STD_ERRORS.items() if k not in op['responses']})
op['responses']['200'].setdefault('content', {}).update(CSV)
op = paths['/api/v1/accounts/{account_id}/conversations/{conversation_id}/reporting_events']['get']
op['description'] = (op.get('description', '') + '\n\nAnyone who may see the conversation (404 otherwise).').strip()
op['responses'].update({k: v for k, v in STD_ERRORS.items() if k not in op['responses']})
REV = components_source['reporting_event']['properties']
REV['name']['enum'] = ['first_response', 'reply_time', 'conversation_resolved', 'conversation_bot_resolved', 'conversation_opened', 'conversation_bot_handoff']
# Help center.
HC_NOTE = ('Portals and categories are written by administrators (agents get 401), articles by any member and deleted by '
    'administrators. Portal slugs are unique across the server (they are the public address /hc/{slug}); a taken slug or custom '
    'domain is a 422 naming it. config.allowed_locales lists locale codes (default ["en"]); categories and articles take one of '
    'them (422 on locale otherwise). content is Markdown; customers read it rendered and sanitized at /hc/{portal_slug}/articles/{slug}. '
    'status is draft, published or archived (or the reference\'s 0, 1, 2); only published articles are public. Without a slug, '
    'one is made from the name or title.')
for (method, path) in [k for k in OURS if k[1].startswith(PORTALS)] + [('post', PORTALS), ('get', PORTALS), ('patch', PORTALS + '/{id}'),
                       ('post', PORTALS + '/{id}/categories'), ('post', PORTALS + '/{id}/articles')]:
    op = paths[path][method]
    op['description'] = (op.get('description', '') + '\n\n' + HC_NOTE).strip()
    op['responses'].update({k: v for k, v in STD_ERRORS.items() if k not in op['responses']})
paths[PORTALS]['post']['responses']['200'] = resp(PORTAL_ONE)
for method, path in (('patch', PORTALS + '/{id}'), ('post', PORTALS + '/{id}/categories'), ('post', PORTALS + '/{id}/articles')):
    paths[path][method]['parameters'] = [ACC, PORTAL_KEY]
paths[PORTALS + '/{id}'].pop('parameters', None)
paths[PORTALS + '/{id}/categories'].pop('parameters', None)
paths[PORTALS + '/{id}/articles'].pop('parameters', None)
PORTAL_ITEM = components_source['portal_item']['properties']
for key in ('color', 'custom_domain', 'header_text', 'homepage_link', 'page_title'):
    PORTAL_ITEM[key]['nullable'] = True
PORTAL_ITEM['inbox'] = {'type': 'object', 'nullable': True, 'description': 'Always null: portals are not tied to an inbox here'}
PORTAL_ITEM['logo'] = {'type': 'object', 'nullable': True, 'description': 'Always null: no logo uploads yet'}
components_source['portal_config']['properties']['default_locale'] = {'type': 'string'}
for key in ('archived_articles_count', 'published_count', 'draft_articles_count'):
    components_source['portal_meta']['properties'][key].pop('nullable', None)
CAT = components_source['category']['properties']
for key in ('description', 'parent_category_id', 'associated_category_id'):
    CAT[key]['nullable'] = True
CAT['icon'] = {'type': 'string', 'nullable': True}
ART = components_source['article']['properties']
ART['status'] = {'type': 'string', 'enum': ['draft', 'published', 'archived']}
for key in ('category_id', 'author_id', 'associated_article_id'):
    ART[key]['nullable'] = True
ART['description'] = {'type': 'string', 'nullable': True}
ART['locale'] = {'type': 'string'}
ART['created_at'] = {'type': 'integer'}
ART['updated_at'] = {'type': 'integer'}
ART.pop('folder_id', None)
for name in ('portal_create_update_payload', 'category_create_update_payload', 'article_create_update_payload'):
    components_source[name]['additionalProperties'] = False
APAY = components_source['article_create_update_payload']['properties']
APAY['status'] = {'description': 'draft, published or archived, or 0, 1, 2', 'oneOf': [{'type': 'string', 'enum': ['draft', 'published', 'archived']}, {'type': 'integer', 'enum': [0, 1, 2]}]}
for key in ('description', 'category_id', 'author_id', 'associated_article_id', 'content'):
    APAY[key]['nullable'] = True
PPAY = components_source['portal_create_update_payload']['properties']
for key in ('custom_domain', 'color', 'header_text', 'page_title', 'homepage_link'):
    PPAY[key]['nullable'] = True
CPAY = components_source['category_create_update_payload']['properties']
for key in ('description', 'icon', 'parent_category_id', 'associated_category_id'):
    CPAY[key]['nullable'] = True
NULLABLE = [
    ('conversation', 'agent_last_seen_at'), ('conversation', 'assignee_last_seen_at'),
    ('inbox', 'business_name'), ('inbox', 'provider'), ('team', 'description'), ('user', 'accounts.[].active_at'),
    ('account_detail', 'domain'), ('agent', 'custom_role_id'), ('user', 'account_id'), ('message', 'content'),
    ('account_detail', 'settings.auto_resolve_after'), ('account_detail', 'settings.auto_resolve_ignore_waiting'),
    ('conversation', 'contact_last_seen_at'), ('message', 'sender'), ('message', 'source_id'),
    ('message', 'processed_message_content'), ('inbox', 'callback_webhook_url'), ('user', 'inviter_id'),
    ('inbox_contact', 'provider'), ('account_detail', 'settings.auto_resolve_message'), ('conversation', 'first_reply_created_at'),
    ('conversation', 'priority'), ('message', 'sender_id'), ('inbox', 'greeting_message'), ('inbox', 'medium'), ('user', 'role'),
    ('account_detail', 'support_email'), ('conversation', 'last_non_activity_message'), ('conversation', 'snoozed_until'),
    ('inbox', 'messaging_service_sid'), ('inbox', 'out_of_office_message'), ('conversation', 'waiting_since'),
    ('inbox', 'phone_number'), ('inbox', 'reply_time'), ('inbox', 'selected_feature_flags'), ('inbox', 'website_token'),
    ('inbox', 'website_url'), ('inbox', 'widget_color'), ('group_member', 'contact.identifier'), ('group_member', 'contact.phone_number'),
    *[('inbox', f'working_hours.[].{k}') for k in ('open_hour', 'open_minutes', 'close_hour', 'close_minutes')],
    *[(schema, f'{meta}.{k}') for schema, meta in (('conversation_list', 'data.payload.[].allOf2.meta'),
                                                  ('conversation_show', 'allOf1.meta'),
                                                  ('contact_conversations_response', 'payload.[].allOf1.meta'))
      for k in ('assignee', 'sender.email', 'sender.identifier', 'sender.last_activity_at', 'sender.phone_number')],
]
for schema, dotted in NULLABLE:
    node = prop(schema, dotted)
    if '$ref' in node:
        # OpenAPI 3.0 ignores siblings of $ref: a nullable reference is an allOf of one.
        node['allOf'] = [{'$ref': node.pop('$ref')}]
    node['nullable'] = True
# The message's sender type is the sender's class, as the reference's JSON really has it.
prop('message', 'sender_type').update({'enum': ['User', 'Contact', 'AgentBot'], 'nullable': True})
# A conversation's timestamp is its last activity in epoch seconds; it can be snoozed.
prop('conversation', 'timestamp').update({'type': 'integer'})
prop('conversation', 'timestamp').pop('format', None)
prop('conversation', 'status')['enum'] = ['open', 'resolved', 'pending', 'snoozed']
# "progress": an outgoing WhatsApp message waiting for its send job (see the create note).
prop('message', 'status')['enum'] = ['sent', 'delivered', 'read', 'failed', 'progress']
# Every content type a message can be created with (domain::conversations::content_type).
CONTENT_TYPES = ['text', 'input_text', 'input_textarea', 'input_email', 'input_select', 'cards', 'form', 'article',
                 'incoming_email', 'input_csat', 'sticker']
prop('message', 'content_type')['enum'] = CONTENT_TYPES
# 3: template, as the reference numbers it (WhatsApp templates, CSAT surveys).
prop('message', 'message_type')['enum'] = [0, 1, 2, 3]
prop('conversation_message_create_payload', 'content_type')['enum'] = CONTENT_TYPES
# Agents are online, busy or offline ("available" is accepted as online when written).
for schema in ('agent',):
    prop(schema, 'availability_status')['enum'] = ['online', 'busy', 'offline']
for schema in ('agent_create_payload', 'agent_update_payload'):
    prop(schema, 'availability_status')['enum'] = ['online', 'available', 'busy', 'offline']

# Operation-level answers that differ from the reference's document.
def ok_schema(path, method, code='200'):
    return paths[path][method]['responses'][code]['content']['application/json']['schema']
messages_meta = ok_schema('/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages', 'get')['properties']['meta']['properties']
for key in ('agent_last_seen_at', 'assignee_last_seen_at'):
    messages_meta[key] = {'type': 'integer', 'nullable': True, 'description': 'Epoch seconds'}
messages_meta['assignee'] = {'allOf': [{'$ref': '#/components/schemas/agent'}], 'nullable': True}
group_payload = sync_group['responses']['202']['content']['application/json']['schema']['properties']['payload']['properties']
for key in ('email', 'phone_number', 'identifier'):
    group_payload[key]['nullable'] = True
member_contact = group_payload['group_members']['items']['properties']['contact']['properties']
for key in ('phone_number', 'identifier'):
    if key in member_contact:
        member_contact[key]['nullable'] = True
# Updating a contact answers 200 with the contact, as the reference's server does (its document says 204).
contact_put = paths['/api/v1/accounts/{account_id}/contacts/{id}']['put']['responses']
contact_put.pop('204', None)
contact_put['200'] = resp({'type': 'object', 'properties': {'payload': {'$ref': '#/components/schemas/contact_base'}}})
paths['/api/v1/accounts/{account_id}/contacts']['post']['responses']['200'] = resp({'type': 'object', 'properties': {'payload': {
    'type': 'object', 'properties': {
        'contact': {'type': 'object', 'properties': {'id': {'type': 'integer'}, 'name': {'type': 'string'}}},
        'contact_inbox': {'type': 'object', 'nullable': True, 'description': 'The identity in inbox_id, when one was given',
                          'properties': {'source_id': {'type': 'string'}, 'inbox': {'type': 'object'}}}}}}})
paths['/api/v1/accounts/{account_id}/conversations/{conversation_id}/assignments']['post']['responses']['200'] = resp(
    {'type': 'object', 'nullable': True, 'description': 'The new assignee (an agent), or the team when only the team changed; null when unassigned'})

# An inbox's bot answers as the reference's server does (its document says 204 with the bot).
bot_get = paths['/api/v1/accounts/{account_id}/inboxes/{id}/agent_bot']['get']['responses']
bot_get.pop('204', None)
bot_get['200'] = resp({'type': 'object', 'properties': {'agent_bot': {'allOf': [{'$ref': '#/components/schemas/agent_bot'}], 'nullable': True}}})
set_bot = paths['/api/v1/accounts/{account_id}/inboxes/{id}/set_agent_bot']['post']
set_bot['requestBody']['content']['application/json']['schema']['properties']['agent_bot'].update({'type': 'integer', 'nullable': True})

# Public operations: typing and last seen answer objects; identity refusals are 401.
for path in ('/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_typing',
             '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/update_last_seen'):
    paths[path]['post']['responses']['200'] = resp({'type': 'object'})
for method, path in (('post', '/public/api/v1/inboxes/{inbox_identifier}/contacts'),
                     ('patch', '/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}')):
    paths[path][method]['responses']['401'] = resp(ERROR_BODY, 'identifier_hash missing where the inbox requires it, or wrong')

paths['/survey/responses/{conversation_uuid}']['get']['responses']['200'] = resp({'type': 'object', 'properties': {
    'conversation_uuid': {'type': 'string'}, 'inbox_name': {'type': 'string'}, 'message_id': {'type': 'integer'}, 'content': STR_NULL,
    'answered': {'type': 'boolean'}, 'rating': INT_NULL, 'feedback_message': STR_NULL, 'created_at': {'type': 'integer'}}})
paths['/survey/responses/{conversation_uuid}']['get']['parameters'] = [{'name': 'conversation_uuid', 'in': 'path', 'required': True, 'schema': {'type': 'string'}}]

paths['/api/v1/accounts/{account_id}/canned_responses']['get'].setdefault('parameters', []).append(
    {'name': 'search', 'in': 'query', 'schema': {'type': 'string'}, 'description': 'Narrows to short codes or contents holding it'})

for param in paths['/api/v1/accounts/{account_id}/custom_attribute_definitions']['get'].get('parameters', []):
    if param.get('name') == 'attribute_model':
        param.update({'required': False, 'schema': {'type': 'string'},
                      'description': 'conversation_attribute (0) or contact_attribute (1); absent or unknown: all'})

for path, what in (('/api/v1/accounts/{account_id}/conversations', 'conversation'), ('/api/v1/accounts/{account_id}/contacts', 'contact')):
    paths[path]['get'].setdefault('parameters', []).append({'name': 'custom_filter_id', 'in': 'query', 'schema': {'type': 'integer'},
        'description': f'Runs one of the caller\'s saved {what} filters (see custom filters), with the filter endpoint\'s paging and counts'})

# The reference documents typing_status as a query parameter without a schema; it is the body's.
typing_op = paths['/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_typing']['post']
typing_op['parameters'] = [p for p in typing_op.get('parameters', []) if p.get('name') != 'typing_status']
typing_op['requestBody'] = {'required': True, 'content': {'application/json': {'schema': {'type': 'object', 'additionalProperties': False,
    'required': ['typing_status'], 'properties': {'typing_status': {'type': 'string', 'enum': ['on', 'recording', 'off']}}}}}}

for m, path in [('post', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages'), ('patch', '/api/v1/accounts/{account_id}/conversations/{conversation_id}/scheduled_messages/{scheduled_message_id}')]:
    paths[path][m]['requestBody']['content']['multipart/form-data'] = {'schema': {'type': 'object', 'properties': {
        'content': {'type': 'string'}, 'scheduled_at': {'type': 'string'}, 'status': {'type': 'string', 'enum': ['draft', 'pending']},
        'template_params': {'type': 'string', 'description': 'JSON text'}, 'recurrence': {'type': 'string', 'description': 'JSON text'},
        'cancel_on_reply': {'type': 'string', 'enum': ['true', 'false']}, 'attachment': {'type': 'string', 'format': 'binary'}}}}

# Group administration answers (the reference documents them without a body).
OUTCOME = {'type': 'object', 'properties': {
    'participant': {'type': 'string', 'description': 'As the request named them'},
    'jid': {'type': 'string'},
    'status': {'type': 'string', 'nullable': True, 'description': "The provider's status for them ('200' is success); null when the call failed"},
    'success': {'type': 'boolean'},
    'error': {'type': 'string', 'nullable': True}}}
paths['/api/v1/accounts/{account_id}/contacts/{id}/group_members']['post']['responses']['200'] = resp(
    {'type': 'object', 'properties': {'payload': {'type': 'array', 'items': OUTCOME}}})
paths['/api/v1/accounts/{account_id}/contacts/{id}/group_members/{member_id}']['patch']['responses']['200'] = resp(
    {'type': 'object', 'properties': {'payload': {'$ref': '#/components/schemas/group_member'}}})
paths['/api/v1/accounts/{account_id}/contacts/{id}/group_join_requests']['get']['responses']['200'] = resp(
    {'type': 'object', 'properties': {'payload': {'type': 'array', 'items': {'type': 'object', 'properties': {
        'jid': {'type': 'string'}, 'phone_number': {'type': 'string', 'nullable': True},
        'request_time': {'type': 'integer', 'nullable': True, 'description': 'Epoch seconds'}}}}}})
ok_schema('/api/v1/accounts/{account_id}/groups', 'post')['properties']['contact_id'] = {'type': 'integer', 'description': 'The group contact'}

# WhatsApp groups: conversation lists narrow to groups or to people.
paths['/api/v1/accounts/{account_id}/conversations']['get'].setdefault('parameters', []).append(
    {'name': 'group_type', 'in': 'query', 'schema': {'type': 'string', 'enum': ['individual', 'group']},
     'description': 'Only WhatsApp group conversations, or only one-to-one ones (any other value narrows nothing). '
                    'POST conversations/filter takes group_type as an attribute_key.'})

# Notes written after the loop above (they sit with their resource's schema patches).
for (method, path), note in NOTES.items():
    if (method, path) not in APPLIED_NOTES:
        op = paths[path][method]
        op['description'] = (op.get('description', '') + '\n\n' + note).strip()

# Keep only the components the operations reach.
def refs(obj, acc):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == '$ref' and isinstance(v, str):
                acc.add(v)
            else:
                refs(v, acc)
    elif isinstance(obj, list):
        for v in obj:
            refs(v, acc)
    return acc

components = {'schemas': dict(EXTRA_SCHEMAS), 'parameters': {}, 'securitySchemes': ref['components']['securitySchemes']}
pending = refs(paths, set())
seen = set()
while pending:
    r = pending.pop()
    if r in seen:
        continue
    seen.add(r)
    _, _, kind, name = r.split('/')
    if name in components[kind]:
        continue
    components[kind][name] = ref['components'][kind][name]
    pending |= refs(ref['components'][kind][name], set())

# Sorted, so that regenerating changes only what changed (the walk above visits a set).
for kind in ('schemas', 'parameters'):
    components[kind] = dict(sorted(components[kind].items()))

doc = {
    'openapi': '3.0.4',
    'info': {'title': 'Switchboard', 'version': '0.1.0',
             'description': 'Chatwoot-compatible REST API served by Switchboard. Operations taken from the reference keep its shapes; '
                            'operations marked as ours (auth, health, labels, inbox deletion, profile update) document Switchboard behaviour.'},
    'servers': [{'url': 'http://127.0.0.1:3000'}],
    'security': [{'userApiKey': []}],
    'paths': dict(sorted(paths.items())),
    'components': components,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'openapi.json')
with open(out, 'w') as f:
    json.dump(doc, f, indent=2, sort_keys=False)
    f.write('\n')
print(f'wrote {out}: {sum(len(v) for v in paths.values())} operations')
