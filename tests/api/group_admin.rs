//! Administering WhatsApp groups from the inbox, against the fake provider: members, data and
//! picture, invite links, join requests, settings, leaving and being removed, creating groups,
//! the announcement guard, and the provider's cluster redirect. Every write goes to the provider
//! first; what it refuses changes nothing here.

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::provider::{Failure, FakeProvider};

use crate::groups::{metadata, next_event, roster, Groups, GROUP};
use crate::realtime::Ws;
use crate::support::{assert_invalid, matrix, Matrix};

/// What every group write answers to the five callers: the agent outside the inbox is refused,
/// another account never finds the group.
const WRITE: Matrix = Matrix { no_token: 401, bad_token: 401, other_account: 404, agent: 401, admin: 200 };

impl Groups {
    fn group_path(&self, group_id: i64, rest: &str) -> String {
        self.w.path(&format!("/contacts/{group_id}/{rest}"))
    }

    async fn admin_call(&self, method: Method, path: &str, body: Option<Value>) -> switchboard_testkit::Reply {
        let mut call = self.app.call(method, path).token(&self.w.admin.access_token);
        if let Some(b) = body {
            call = call.json(&b);
        }
        call.send().await
    }

    /// The display id of the group's conversation.
    async fn group_conversation(&self) -> i64 {
        let list = self.app.get(&self.w.path("/conversations?status=all")).token(&self.w.admin.access_token).send().await;
        let list = list.body["data"]["payload"].as_array().unwrap().clone();
        list.iter().find(|c| c["meta"]["sender"]["identifier"] == GROUP).map(|c| c["id"].as_i64().unwrap()).unwrap()
    }

    /// The activity lines of the group's conversation, oldest first.
    async fn lines(&self) -> Vec<String> {
        let conv = self.group_conversation().await;
        let messages = self.conversation_messages(conv).await;
        messages.iter().filter(|m| m["message_type"] == 2).map(|m| m["content"].as_str().unwrap_or_default().to_string()).collect()
    }

    /// The membership id of the member with this phone number.
    async fn member_id(&self, group_id: i64, phone: &str) -> i64 {
        let list = self.members(group_id, "?per_page=100").await;
        let found = list["payload"].as_array().unwrap().iter().find(|m| m["contact"]["phone_number"] == phone).cloned();
        found.unwrap_or_else(|| panic!("{phone} is no member: {list}"))["id"].as_i64().unwrap()
    }
}

/// The next `contact.group_synced`, which every accepted change ends with.
async fn synced(ws: &mut Ws) -> Value {
    next_event(ws, "contact.group_synced").await
}

#[tokio::test]
async fn members_are_added_promoted_demoted_and_removed_through_the_provider() {
    let (g, mut ws, group_id) = Groups::with_group().await;
    let path = g.group_path(group_id, "group_members");

    // Adding: one provider call per participant, each participant's outcome in the answer.
    let m = matrix(&g.app, &g.w, Method::POST, &path, Some(json!({ "participants": ["+57 300 444 5555"] }))).await;
    assert_eq!(m, WRITE);
    let add = g.provider.calls_to("group-participants");
    assert_eq!(add.len(), 1, "only the administrator's call reached the provider");
    assert_eq!(add[0].body, json!({ "jid": GROUP, "participant": "573004445555@s.whatsapp.net", "action": "add" }));
    synced(&mut ws).await;
    assert!(roster(&g.members(group_id, "").await["payload"]).contains(&("+573004445555".into(), "member".into())));
    g.app.add_inbox_member(g.inbox_id, &g.w.agent).await;
    g.provider.set_participant_status("573005556666@s.whatsapp.net", "403");
    let r =
        g.app.post(&path).token(&g.w.agent.access_token).json(&json!({ "participants": ["573006667777", "573005556666"] })).send().await;
    assert_eq!(r.status, 200, "an agent of the inbox may add members: {}", r.body);
    let outcomes = r.body["payload"].as_array().unwrap();
    assert_eq!((outcomes[0]["success"].as_bool(), outcomes[0]["status"].as_str()), (Some(true), Some("200")));
    assert_eq!((outcomes[1]["success"].as_bool(), outcomes[1]["status"].as_str()), (Some(false), Some("403")));
    assert_eq!(outcomes[1]["participant"], "573005556666");
    synced(&mut ws).await;
    let list = g.members(group_id, "?per_page=100").await;
    assert_eq!(list["meta"]["total_count"], 5, "the refused participant is not a member: {list}");
    assert!(g.lines().await.iter().any(|l| l == "+573006667777 was added to the group"));

    // Bad requests name the field; a provider failure changes nothing and says why.
    assert_eq!(
        g.admin_call(Method::POST, &path, Some(json!({ "participants": [] }))).await.body["errors"][0]["code"],
        "participants_required"
    );
    assert_invalid(&g.admin_call(Method::POST, &path, Some(json!({ "participants": ["ana"] }))).await, "participants");
    assert_invalid(&g.admin_call(Method::POST, &path, Some(json!({}))).await, "participants");
    g.provider.fail_next([500]);
    let r = g.admin_call(Method::POST, &path, Some(json!({ "participants": ["573008889999"] }))).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body["error"].as_str().unwrap().contains("500"), "{}", r.body);
    assert_eq!(g.members(group_id, "").await["meta"]["total_count"], 5);

    // Promoting and demoting.
    let luis = g.member_id(group_id, "+573002223333").await;
    let member = format!("{path}/{luis}");
    let m = matrix(&g.app, &g.w, Method::PATCH, &member, Some(json!({ "role": "admin" }))).await;
    assert_eq!(m, Matrix { agent: 200, ..WRITE }, "the agent is in the inbox by now");
    let promote = g.provider.calls_to("group-participants").pop().unwrap();
    assert_eq!(promote.body, json!({ "jid": GROUP, "participant": "2772@lid", "action": "promote" }));
    let r = g.admin_call(Method::PATCH, &member, Some(json!({ "role": "member" }))).await;
    assert_eq!((r.status, r.body["payload"]["role"].as_str()), (200, Some("member")), "{}", r.body);
    assert_eq!(g.provider.calls_to("group-participants").pop().unwrap().body["action"], "demote");
    let lines = g.lines().await;
    assert!(lines.iter().any(|l| l == "Luis is now an admin") && lines.iter().any(|l| l == "Luis is no longer an admin"), "{lines:?}");
    let r = g.admin_call(Method::PATCH, &member, Some(json!({ "role": "owner" }))).await;
    assert_eq!(r.body["errors"][0]["code"], "invalid_role", "{}", r.body);

    // The group's creator cannot be demoted or removed: the provider says 406.
    let ana = g.member_id(group_id, "+573001112222").await;
    let before = g.provider.calls_to("group-participants").len();
    let r = g.admin_call(Method::PATCH, &format!("{path}/{ana}"), Some(json!({ "role": "member" }))).await;
    assert_eq!((r.status, r.body["errors"][0]["code"].as_str()), (422, Some("group_creator_not_modifiable")), "{}", r.body);
    let r = g.admin_call(Method::DELETE, &format!("{path}/{ana}"), None).await;
    assert_eq!(r.body["errors"][0]["code"], "group_creator_not_modifiable", "{}", r.body);
    assert_eq!(g.provider.calls_to("group-participants").len(), before + 2);
    assert!(roster(&g.members(group_id, "").await["payload"]).contains(&("+573001112222".into(), "admin".into())));

    // Removing.
    let m = matrix(&g.app, &g.w, Method::DELETE, &member, None).await;
    assert_eq!(m, Matrix { agent: 200, admin: 404, ..WRITE }, "the agent (now in the inbox) removed Luis; then he is no member to remove");
    assert_eq!(g.provider.calls_to("group-participants").pop().unwrap().body["action"], "remove");
    assert!(!roster(&g.members(group_id, "?per_page=100").await["payload"]).iter().any(|(n, _)| n == "Luis"));
    assert!(g.lines().await.iter().any(|l| l == "Luis was removed from the group"));
    assert_eq!(g.admin_call(Method::DELETE, &format!("{path}/999999"), None).await.status, 404);
}

#[tokio::test]
async fn the_groups_data_invite_link_join_requests_and_settings_change_through_the_provider() {
    let (g, mut ws, group_id) = Groups::with_group().await;

    // Subject and description.
    let path = g.group_path(group_id, "group_metadata");
    let body = json!({ "subject": "Pedidos 2027", "description": "Solo pedidos" });
    let m = matrix(&g.app, &g.w, Method::PATCH, &path, Some(body)).await;
    assert_eq!(m, WRITE);
    assert_eq!(g.provider.calls_to("group-subject")[0].body, json!({ "jid": GROUP, "subject": "Pedidos 2027" }));
    assert_eq!(g.provider.calls_to("group-description")[0].body, json!({ "jid": GROUP, "description": "Solo pedidos" }));
    let event = synced(&mut ws).await;
    assert_eq!(
        (event["name"].as_str(), event["additional_attributes"]["description"].as_str()),
        (Some("Pedidos 2027"), Some("Solo pedidos"))
    );
    let lines = g.lines().await;
    assert!(lines.contains(&"Group name changed to Pedidos 2027".to_string()), "{lines:?}");
    assert!(lines.contains(&"Group description was changed".to_string()), "{lines:?}");
    // The picture, as multipart; it must be an image.
    let png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
    let form = reqwest::multipart::Form::new()
        .part("avatar", reqwest::multipart::Part::bytes(png.clone()).file_name("g.png").mime_str("image/png").unwrap());
    let r = g.app.client.patch(g.app.url(&path)).header("api_access_token", &g.w.admin.access_token).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let picture = g.provider.calls_to("update-profile-picture").pop().unwrap();
    use base64::Engine;
    assert_eq!(picture.body["image"], base64::engine::general_purpose::STANDARD.encode(&png));
    let form = reqwest::multipart::Form::new().part("avatar", reqwest::multipart::Part::bytes(b"<svg/>".to_vec()).file_name("g.png"));
    let r = g.app.client.patch(g.app.url(&path)).header("api_access_token", &g.w.admin.access_token).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 422, "not an image");
    assert_invalid(&g.admin_call(Method::PATCH, &path, Some(json!({ "subject": "x".repeat(101) }))).await, "subject");
    // Refused by the provider: nothing changes.
    g.provider.fail_next([403]);
    let r = g.admin_call(Method::PATCH, &path, Some(json!({ "subject": "Otro nombre" }))).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(g.group_contact().await["name"], "Pedidos 2027");

    // The invite link, and a new one.
    let invite = g.group_path(group_id, "group_invite");
    assert_eq!(matrix(&g.app, &g.w, Method::GET, &invite, None).await, WRITE);
    let r = g.admin_call(Method::GET, &invite, None).await;
    assert_eq!(r.body, json!({ "invite_code": "InviteCode0001", "invite_url": "https://chat.whatsapp.com/InviteCode0001" }));
    let revoke = g.group_path(group_id, "group_invite/revoke");
    assert_eq!(matrix(&g.app, &g.w, Method::POST, &revoke, None).await, WRITE);
    let r = g.admin_call(Method::POST, &revoke, None).await;
    let code = r.body["invite_code"].as_str().unwrap().to_string();
    assert_ne!(code, "InviteCode0001");
    assert_eq!(r.body["invite_url"], format!("https://chat.whatsapp.com/{code}"));
    assert_eq!(g.group_contact().await["additional_attributes"]["invite_code"], code);
    assert!(g.lines().await.contains(&"Group invite link was reset".to_string()));

    // Join requests: listed from the provider, approved ones become members and leave the
    // pending list.
    g.provider.set_join_requests(
        GROUP,
        vec![
            json!({ "jid": "573007778888@s.whatsapp.net", "phone_number": "+573007778888", "request_time": 1_763_700_000 }),
            json!({ "jid": "573009990000@s.whatsapp.net", "phone_number": "+573009990000", "request_time": 1_763_700_100 }),
        ],
    );
    let requests = g.group_path(group_id, "group_join_requests");
    assert_eq!(matrix(&g.app, &g.w, Method::GET, &requests, None).await, WRITE);
    let r = g.admin_call(Method::GET, &requests, None).await;
    assert_eq!(
        r.body["payload"][0],
        json!({ "jid": "573007778888@s.whatsapp.net", "phone_number": "+573007778888", "request_time": 1_763_700_000 })
    );
    let handle = g.group_path(group_id, "group_join_requests/handle");
    let r = g.admin_call(Method::POST, &handle, Some(json!({ "request_action": "approve", "participants": ["573007778888"] }))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let call = g.provider.calls_to("group-request-participants-update").pop().unwrap();
    assert_eq!(call.body, json!({ "jid": GROUP, "participants": ["573007778888@s.whatsapp.net"], "action": "approve" }));
    assert_eq!(g.admin_call(Method::GET, &requests, None).await.body["payload"].as_array().unwrap().len(), 1);
    assert!(roster(&g.members(group_id, "?per_page=100").await["payload"]).contains(&("+573007778888".into(), "member".into())));
    let r = g.admin_call(Method::POST, &handle, Some(json!({ "request_action": "maybe", "participants": ["573009990000"] }))).await;
    assert_invalid(&r, "request_action");
    let m =
        matrix(&g.app, &g.w, Method::POST, &handle, Some(json!({ "request_action": "reject", "participants": ["573009990000"] }))).await;
    assert_eq!(m, WRITE);
    assert_eq!(g.provider.calls_to("group-request-participants-update").pop().unwrap().body["action"], "reject");

    // Settings, each in the provider's words.
    let admin = g.group_path(group_id, "group_admin");
    let m = matrix(&g.app, &g.w, Method::PATCH, &admin, Some(json!({ "property": "announce", "enabled": true }))).await;
    assert_eq!(m, WRITE);
    for (property, enabled, route, body) in [
        ("restrict", false, "group-setting-update", json!({ "jid": GROUP, "setting": "unlocked" })),
        ("join_approval_mode", true, "group-join-approval-mode", json!({ "jid": GROUP, "mode": "on" })),
        ("member_add_mode", false, "group-member-add-mode", json!({ "jid": GROUP, "mode": "admin_add" })),
    ] {
        let r = g.admin_call(Method::PATCH, &admin, Some(json!({ "property": property, "enabled": enabled }))).await;
        assert_eq!(r.status, 200, "{property}: {}", r.body);
        assert_eq!(g.provider.calls_to(route).pop().unwrap().body, body);
    }
    assert_eq!(g.provider.calls_to("group-setting-update")[0].body, json!({ "jid": GROUP, "setting": "announcement" }));
    let attributes = g.group_contact().await["additional_attributes"].clone();
    assert_eq!(
        (&attributes["announce"], &attributes["restrict"], &attributes["join_approval_mode"], &attributes["member_add_mode"]),
        (&json!(true), &json!(false), &json!(true), &json!(false))
    );
    let lines = g.lines().await;
    assert!(
        lines.contains(&"Only admins can send messages".to_string()) && lines.contains(&"Admin approval to join was enabled".to_string())
    );
    let r = g.admin_call(Method::PATCH, &admin, Some(json!({ "property": "ephemeral", "enabled": true }))).await;
    assert_eq!(r.body["errors"][0]["code"], "invalid_property", "{}", r.body);
    assert_invalid(&g.admin_call(Method::PATCH, &admin, Some(json!({ "property": "announce", "enabled": "yes" }))).await, "enabled");

    // None of this applies to a contact that is not a group.
    let person = g.app.post(&g.w.path("/contacts")).token(&g.w.admin.access_token).json(&json!({ "name": "Solo" })).send().await;
    let person_id = person.body["payload"]["contact"]["id"].as_i64().unwrap();
    let r = g
        .admin_call(Method::PATCH, &g.group_path(person_id, "group_admin"), Some(json!({ "property": "announce", "enabled": true })))
        .await;
    assert_eq!((r.status, r.body["message"].as_str()), (422, Some("Contact is not a valid group")), "{}", r.body);
}

#[tokio::test]
async fn announcement_mode_leaving_and_being_removed_stop_replies() {
    let (g, mut ws, group_id) = Groups::with_group().await;
    let conv = g.group_conversation().await;
    let reply = |body: Value| {
        let path = g.w.path(&format!("/conversations/{conv}/messages"));
        let (app, token) = (&g.app, g.w.admin.access_token.clone());
        async move { app.post(&path).token(&token).json(&body).send().await }
    };

    // Announcement mode with our number as a plain member: replies are refused at once; notes
    // are not replies.
    let mut changed = metadata("Pedidos", &[]);
    changed["announce"] = json!(true);
    changed["participants"][0]["admin"] = Value::Null;
    g.provider.set_group(changed);
    let sync = g.admin_call(Method::POST, &g.group_path(group_id, "sync_group"), None).await;
    assert_eq!(sync.status, 202);
    synced(&mut ws).await;
    let r = reply(json!({ "content": "¿Alguien?" })).await;
    assert_eq!((r.status, r.body["errors"][0]["code"].as_str()), (422, Some("group_announcement_only")), "{}", r.body);
    assert_eq!(reply(json!({ "content": "nota", "private": true })).await.status, 200);
    assert!(g.provider.calls_to("send-message").is_empty());

    // Leaving: the provider first, then the group is left and its conversation resolved.
    let leave = g.group_path(group_id, "group_admin/leave");
    g.provider.fail_next([500]);
    assert_eq!(g.admin_call(Method::POST, &leave, None).await.status, 422);
    let open = g.app.get(&g.w.path(&format!("/conversations/{conv}"))).token(&g.w.admin.access_token).send().await;
    assert_eq!(open.body["status"], "open", "a refused leave changes nothing");
    assert_eq!(matrix(&g.app, &g.w, Method::POST, &leave, None).await, WRITE);
    assert_eq!(g.provider.calls_to("group-leave").pop().unwrap().body, json!({ "jid": GROUP }));
    let resolved = g.app.get(&g.w.path(&format!("/conversations/{conv}"))).token(&g.w.admin.access_token).send().await;
    assert_eq!(resolved.body["status"], "resolved");
    assert!(g.lines().await.contains(&"The inbox left the group".to_string()));
    let r = reply(json!({ "content": "hola" })).await;
    assert_eq!(r.body["errors"][0]["code"], "group_left", "{}", r.body);
    let r = g.admin_call(Method::GET, &g.group_path(group_id, "group_invite"), None).await;
    assert_eq!((r.status, r.body["errors"][0]["code"].as_str()), (422, Some("group_left")));

    // Added back by someone: the group is ours again; then removed by an admin.
    let own = json!({ "id": "9001@lid", "phoneNumber": "573000000009@s.whatsapp.net" });
    let add = json!({ "id": GROUP, "author": "2771@lid", "action": "add", "participants": [own] });
    assert_eq!(g.deliver("group-participants.update", add).await, 200);
    assert_eq!(g.admin_call(Method::GET, &g.group_path(group_id, "group_invite"), None).await.status, 200);
    assert_eq!(g.group_says("M2", "2772@lid", "573002223333", "Luis", "¿siguen ahí?").await, 200);
    let conv = g.group_conversation().await;
    let _ = next_event(&mut ws, "message.created").await;
    let removed = json!({ "id": GROUP, "author": "2771@lid", "action": "remove", "participants": [own] });
    assert_eq!(g.deliver("group-participants.update", removed).await, 200);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let c = g.app.get(&g.w.path(&format!("/conversations/{conv}"))).token(&g.w.admin.access_token).send().await;
        if c.body["status"] == "resolved" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not resolved: {}", c.body);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(g.lines().await.contains(&"The inbox was removed from the group".to_string()));
    // Syncs skip a group we are not in.
    let calls = g.provider.calls_to("group-metadata").len();
    assert_eq!(g.admin_call(Method::POST, &g.group_path(group_id, "sync_group"), None).await.status, 202);
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(g.provider.calls_to("group-metadata").len(), calls);
}

#[tokio::test]
async fn groups_are_created_through_the_provider_even_through_another_node() {
    let g = Groups::new().await;
    let mut ws = g.admin_socket().await;
    let path = g.w.path("/groups");
    let body = json!({ "inbox_id": g.inbox_id, "subject": "Clientes VIP", "participants": ["573001112222", "+57 300 222 3333"] });
    let m = matrix(&g.app, &g.w, Method::POST, &path, Some(body.clone())).await;
    assert_eq!(m, WRITE);
    let created = g.provider.calls_to("group-create");
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0].body,
        json!({ "subject": "Clientes VIP", "participants": ["573001112222@s.whatsapp.net", "573002223333@s.whatsapp.net"] })
    );
    let event = synced(&mut ws).await;
    assert_eq!(event["name"], "Clientes VIP");
    assert_eq!(event["group_type"], "group");
    let members = event["group_members"].as_array().unwrap();
    assert_eq!(members.len(), 3, "our number and the two participants: {event}");

    // The answer names the group.
    let r = g.admin_call(Method::POST, &path, Some(body.clone())).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["group_jid"].as_str().unwrap().ends_with("@g.us"));
    assert_eq!(r.body["subject"], "Clientes VIP");

    // In cluster mode the node asked may not own the connection: the call follows its 421 to
    // the owner, once.
    let owner = FakeProvider::start().await.unwrap();
    g.provider.fail_next_with([Failure::misdirected(&owner.url)]);
    let r = g
        .admin_call(Method::POST, &path, Some(json!({ "inbox_id": g.inbox_id, "subject": "Norte", "participants": ["573001112222"] })))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(owner.calls_to("group-create").len(), 1, "the owner created it");
    assert_eq!(r.body["subject"], "Norte");

    // Refusals: no subject, no participants, an inbox that is not a Baileys one, the provider.
    assert_invalid(
        &g.admin_call(Method::POST, &path, Some(json!({ "inbox_id": g.inbox_id, "subject": " ", "participants": ["573001112222"] }))).await,
        "subject",
    );
    let r = g.admin_call(Method::POST, &path, Some(json!({ "inbox_id": g.inbox_id, "subject": "x", "participants": [] }))).await;
    assert_eq!(r.body["errors"][0]["code"], "participants_required");
    let api_inbox = g.app.create_inbox(g.w.account_id, "API").await;
    let r =
        g.admin_call(Method::POST, &path, Some(json!({ "inbox_id": api_inbox, "subject": "x", "participants": ["573001112222"] }))).await;
    assert_invalid(&r, "inbox_id");
    let r = g.admin_call(Method::POST, &path, Some(json!({ "inbox_id": 999999, "subject": "x", "participants": ["573001112222"] }))).await;
    assert_invalid(&r, "inbox_id");
    g.provider.fail_next([503]);
    let r = g
        .admin_call(Method::POST, &path, Some(json!({ "inbox_id": g.inbox_id, "subject": "Sur", "participants": ["573001112222"] })))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let searched = g.app.get(&g.w.path("/contacts/search?q=Sur")).token(&g.w.admin.access_token).send().await;
    assert_eq!(searched.body["payload"].as_array().unwrap().len(), 0, "a refused creation leaves no group");
}

#[tokio::test]
async fn an_agent_of_the_groups_inbox_may_do_everything_an_administrator_may() {
    let (g, _ws, group_id) = Groups::with_group().await;
    g.app.add_inbox_member(g.inbox_id, &g.w.agent).await;
    g.provider.set_join_requests(GROUP, vec![json!({ "jid": "573007778888@s.whatsapp.net", "phone_number": "+573007778888" })]);
    let luis = g.member_id(group_id, "+573002223333").await;
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, g.group_path(group_id, "group_members"), None),
        (Method::POST, g.group_path(group_id, "group_members"), Some(json!({ "participants": ["573004445555"] }))),
        (Method::PATCH, g.group_path(group_id, &format!("group_members/{luis}")), Some(json!({ "role": "admin" }))),
        (Method::PATCH, g.group_path(group_id, "group_metadata"), Some(json!({ "description": "Del agente" }))),
        (Method::GET, g.group_path(group_id, "group_invite"), None),
        (Method::POST, g.group_path(group_id, "group_invite/revoke"), None),
        (Method::GET, g.group_path(group_id, "group_join_requests"), None),
        (
            Method::POST,
            g.group_path(group_id, "group_join_requests/handle"),
            Some(json!({ "request_action": "reject", "participants": ["573007778888"] })),
        ),
        (Method::PATCH, g.group_path(group_id, "group_admin"), Some(json!({ "property": "restrict", "enabled": false }))),
        (
            Method::POST,
            g.w.path("/groups"),
            Some(json!({ "inbox_id": g.inbox_id, "subject": "Del agente", "participants": ["573001112222"] })),
        ),
        (Method::DELETE, g.group_path(group_id, &format!("group_members/{luis}")), None),
        (Method::POST, g.group_path(group_id, "group_admin/leave"), None),
    ];
    for (method, path, body) in calls {
        let mut call = g.app.call(method.clone(), &path).token(&g.w.agent.access_token);
        if let Some(b) = &body {
            call = call.json(b);
        }
        let r = call.send().await;
        assert_eq!(r.status, 200, "{method} {path}: {}", r.body);
    }
}
