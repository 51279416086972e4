//! What a Baileys-style provider delivers beyond text: files (sent along, or fetched from the
//! provider by a job with retries, or visibly lost), voice notes, reactions, mentions both ways,
//! quoted replies both ways, and the group stubs (join requests, a new picture, a new group).

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

use crate::groups::{next_event, Groups, GROUP, PHONE};

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R'];

impl Groups {
    /// A group message from Ana (`2771@lid`, +573001112222) with this `message` body.
    async fn ana_sends(&self, id: &str, message: Value, extra: Option<Value>) -> u16 {
        let m = json!({ "key": { "remoteJid": GROUP, "fromMe": false, "id": id, "participant": "2771@lid",
                                  "participantAlt": "573001112222@s.whatsapp.net" },
                        "pushName": "Ana", "messageTimestamp": chrono::Utc::now().timestamp(), "message": message });
        let data = json!({ "type": "notify", "messages": [m] });
        match extra {
            Some(extra) => self.provider.deliver_with(PHONE, "messages.upsert", data, extra).await,
            None => self.deliver("messages.upsert", data).await,
        }
    }

    /// The group conversation's message with this source id, once `ready` holds (within 10 s).
    async fn group_message(&self, source_id: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let list = self.app.get(&self.w.path("/conversations?status=all")).token(&self.w.admin.access_token).send().await;
            let conv = list.body["data"]["payload"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["meta"]["sender"]["identifier"] == GROUP)
                .map(|c| c["id"].as_i64().unwrap());
            if let Some(conv) = conv {
                let found = self.conversation_messages(conv).await.into_iter().find(|m| m["source_id"] == source_id);
                if let Some(m) = found.filter(|m| ready(m)) {
                    return m;
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "{source_id} never got ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn files_are_kept_here_fetched_with_retries_or_visibly_lost() {
    let (g, _ws, _) = Groups::with_group().await;

    // Fetched from the provider: the first attempt fails, the retry keeps it.
    g.provider.set_media("IMG1", PNG.to_vec(), "image/png");
    g.provider.fail_next([503]);
    let image = json!({ "imageMessage": { "caption": "el recibo", "mimetype": "image/png" } });
    assert_eq!(g.ana_sends("IMG1", image, None).await, 200);
    let m = g.group_message("IMG1", |m| m["attachments"][0]["data_url"].as_str().is_some_and(|u| u.contains("/attachments/"))).await;
    assert_eq!(m["content"], "el recibo");
    let file = &m["attachments"][0];
    assert_eq!(
        (file["file_type"].as_str(), file["content_type"].as_str(), file["file_size"].as_i64()),
        (Some("image"), Some("image/png"), Some(PNG.len() as i64))
    );
    let got = g.app.client.get(file["data_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap().to_vec(), PNG);
    let media_calls = g.provider.requests().into_iter().filter(|r| r.path == "/media/IMG1").count();
    assert_eq!(media_calls, 2, "one failure, one success");

    // Sent along with the event: kept at once, no fetch. A voice note says so.
    let ogg = b"OggS\0\x02fake-opus".to_vec();
    let extra = json!({ "media": { "VN1": base64::engine::general_purpose::STANDARD.encode(&ogg) } });
    let voice = json!({ "audioMessage": { "mimetype": "audio/ogg; codecs=opus", "ptt": true, "seconds": 3 } });
    assert_eq!(g.ana_sends("VN1", voice, Some(extra)).await, 200);
    let m = g.group_message("VN1", |m| m["attachments"].as_array().is_some_and(|a| !a.is_empty())).await;
    let file = &m["attachments"][0];
    assert_eq!(file["meta"]["is_recorded_audio"], true);
    assert_eq!(file["file_size"], ogg.len());
    assert!(file["data_url"].as_str().unwrap().contains("/attachments/"));
    assert!(!g.provider.requests().iter().any(|r| r.path == "/media/VN1"));

    // The provider no longer has it: the message stays, and its file says why it is missing.
    let doc = json!({ "documentMessage": { "fileName": "pedido.pdf", "mimetype": "application/pdf", "caption": "pedido" } });
    assert_eq!(g.ana_sends("DOC1", doc, None).await, 200);
    let m = g.group_message("DOC1", |m| m["attachments"][0]["meta"]["download_error"].is_string()).await;
    assert_eq!(m["content"], "pedido");
    assert_eq!(m["attachments"][0]["file_name"], "pedido.pdf");
    assert!(m["attachments"][0]["meta"]["download_error"].as_str().unwrap().contains("404"), "{m}");
}

#[tokio::test]
async fn reactions_mentions_and_quoted_replies_go_both_ways() {
    let (g, mut ws, _) = Groups::with_group().await;
    let luis = g.group_message("M1", |_| true).await;
    let luis_id = luis["sender"]["id"].as_i64().unwrap();

    // A reaction lands on the message it reacts to; the same one again changes nothing; an
    // empty one takes it back.
    let react = |emoji: &str| json!({ "reactionMessage": { "key": { "id": "M1", "remoteJid": GROUP }, "text": emoji } });
    assert_eq!(g.ana_sends("R1", react("👍"), None).await, 200);
    let m = g.group_message("M1", |m| m["content_attributes"]["reactions"].as_array().is_some_and(|r| !r.is_empty())).await;
    let reaction = &m["content_attributes"]["reactions"][0];
    assert_eq!(
        (reaction["emoji"].as_str(), reaction["from"].as_str(), reaction["name"].as_str()),
        (Some("👍"), Some("2771@lid"), Some("Ana"))
    );
    loop {
        let update = next_event(&mut ws, "message.updated").await;
        if update["source_id"] == "M1" {
            assert_eq!(update["content_attributes"]["reactions"][0]["emoji"], "👍");
            break;
        }
    }
    assert_eq!(g.ana_sends("R2", react("❤️"), None).await, 200);
    let m = g.group_message("M1", |m| m["content_attributes"]["reactions"][0]["emoji"] == "❤️").await;
    assert_eq!(m["content_attributes"]["reactions"].as_array().unwrap().len(), 1, "one reaction per person");
    assert_eq!(g.ana_sends("R3", react(""), None).await, 200);
    g.group_message("M1", |m| m["content_attributes"]["reactions"] == json!([])).await;

    // An incoming mention links the contact; a quote links the message it answers.
    let mention = json!({ "extendedTextMessage": { "text": "@2772 ¿lo tienes? @everyone",
                          "contextInfo": { "mentionedJid": ["2772@lid"], "groupMentions": [{ "groupSubject": "everyone" }], "stanzaId": "M1", "participant": "2772@lid" } } });
    assert_eq!(g.ana_sends("T1", mention, None).await, 200);
    let m = g.group_message("T1", |_| true).await;
    assert_eq!(m["content"], format!("[@Luis](mention://contact/{luis_id}/Luis) ¿lo tienes? [@all](mention://contact/0/all)"));
    assert_eq!(m["content_attributes"]["mentioned_contacts"], json!([luis_id, 0]));
    assert_eq!(m["content_attributes"]["in_reply_to"], luis["id"]);
    // A mention by number, written without the mobile prefix the contact's number has: the
    // last 8 digits find Ana (+573001112222).
    let by_number =
        json!({ "extendedTextMessage": { "text": "@5701112222 mira", "contextInfo": { "mentionedJid": ["5701112222@s.whatsapp.net"] } } });
    assert_eq!(g.ana_sends("T2", by_number, None).await, 200);
    let ana =
        g.app.get(&g.w.path("/contacts/search?q=573001112222")).token(&g.w.admin.access_token).send().await.body["payload"][0].clone();
    let m = g.group_message("T2", |_| true).await;
    assert_eq!(
        m["content"],
        format!(
            "[@{}](mention://contact/{}/{}) mira",
            ana["name"].as_str().unwrap(),
            ana["id"],
            ana["name"].as_str().unwrap().replace(' ', "%20").replace('+', "%2B")
        )
    );

    // Our reply quotes Luis's message (naming him as its writer) and mentions him and everyone.
    let conv = m["conversation_id"].as_i64().unwrap();
    let body = json!({ "content": format!("[@Luis](mention://contact/{luis_id}/Luis) sí, y [@all](mention://contact/0/all) mañana"),
                       "content_attributes": { "in_reply_to": luis["id"] } });
    let r = g.app.post(&g.w.path(&format!("/conversations/{conv}/messages"))).token(&g.w.admin.access_token).json(&body).send().await;
    assert_eq!(r.status, 200, "{}", r.body);
    let sent = g.provider.wait_for(|r| r.path.ends_with("/send-message")).await.unwrap();
    let content = &sent.body["messageContent"];
    assert_eq!(content["text"], "@2772 sí, y @everyone mañana");
    assert_eq!(content["mentions"], json!(["2772@lid"]));
    assert_eq!(content["groupMentions"], json!([{ "groupSubject": "everyone" }]));
    assert_eq!(content["quotedMessage"]["key"], json!({ "id": "M1", "remoteJid": GROUP, "fromMe": false, "participant": "2772@lid" }));
    assert_eq!(content["quotedMessage"]["message"], json!({ "conversation": "hola" }));

    // Our reaction to Luis's message goes as a reaction to its key.
    let body = json!({ "content": "🙌", "content_attributes": { "in_reply_to": luis["id"], "is_reaction": true } });
    let r = g.app.post(&g.w.path(&format!("/conversations/{conv}/messages"))).token(&g.w.admin.access_token).json(&body).send().await;
    assert_eq!(r.status, 200, "{}", r.body);
    let sent = g.provider.wait_for(|r| r.path.ends_with("/send-message") && r.body["messageContent"].get("react").is_some()).await.unwrap();
    assert_eq!(
        sent.body["messageContent"],
        json!({ "react": { "key": { "id": "M1", "remoteJid": GROUP, "fromMe": false, "participant": "2772@lid" }, "text": "🙌" } })
    );
}

#[tokio::test]
async fn stubs_record_join_requests_a_new_picture_and_new_groups() {
    let (g, mut ws, group_id) = Groups::with_group().await;
    let stub = |id: &str, jid: &str, kind: Value, params: Value| {
        json!({ "type": "notify", "messages": [{
        "key": { "remoteJid": jid, "id": id, "fromMe": false }, "messageStubType": kind, "messageStubParameters": params }] })
    };
    let who = json!([r#"{"lid":"2780@lid","pn":"573007778888@s.whatsapp.net"}"#, "created"]);
    assert_eq!(
        g.deliver("messages.upsert", stub("S1", GROUP, json!("GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_NON_ADMIN_ADD"), who)).await,
        200
    );
    let synced = next_event(&mut ws, "contact.group_synced").await;
    assert_eq!(synced["additional_attributes"]["pending_join_requests"][0]["pn"], "+573007778888");
    assert!(g.conversation_messages(1).await.iter().any(|m| m["content"] == "+573007778888 asked to join the group"));
    let withdrawn = json!([r#"{"lid":"2780@lid","pn":"573007778888@s.whatsapp.net"}"#, "revoked"]);
    assert_eq!(
        g.deliver("messages.upsert", stub("S2", GROUP, json!("GROUP_MEMBERSHIP_JOIN_APPROVAL_REQUEST_NON_ADMIN_ADD"), withdrawn)).await,
        200
    );
    let synced = next_event(&mut ws, "contact.group_synced").await;
    assert_eq!(synced["additional_attributes"]["pending_join_requests"], json!([]));

    assert_eq!(g.deliver("messages.upsert", stub("S3", GROUP, json!(22), json!([]))).await, 200);
    next_event(&mut ws, "contact.group_synced").await;
    assert!(g.conversation_messages(1).await.iter().any(|m| m["content"] == "Group picture was changed"));
    assert_eq!(g.group_contact().await["id"], group_id);

    // A group created with us in it: its contact, and a sync.
    let new = "120363099999999999@g.us";
    g.provider.set_group(json!({ "id": new, "subject": "Nuevo", "participants": [
        { "id": "9001@lid", "phoneNumber": "573000000009@s.whatsapp.net", "admin": "superadmin" } ] }));
    assert_eq!(g.deliver("messages.upsert", stub("S4", new, json!("GROUP_CREATE"), json!(["Nuevo"]))).await, 200);
    loop {
        let synced = next_event(&mut ws, "contact.group_synced").await;
        if synced["identifier"] == new && synced["name"] == "Nuevo" {
            assert_eq!(synced["group_members"].as_array().unwrap().len(), 1);
            break;
        }
    }
}

#[tokio::test]
async fn one_person_seen_by_lid_and_by_number_is_one_contact() {
    let (g, _ws, _) = Groups::with_group().await;
    let count = |q: &'static str| {
        let (app, path, token) = (&g.app, g.w.path(&format!("/contacts/search?q={q}")), g.w.admin.access_token.clone());
        async move { app.get(&path).token(&token).send().await.body["payload"].as_array().unwrap().clone() }
    };
    // Marta writes to us directly, by number; then in the group, by LID only.
    let direct = json!({ "messages": [{ "key": { "remoteJid": "573009990000@s.whatsapp.net", "id": "D1" }, "pushName": "Marta",
                         "message": { "conversation": "hola" } }] });
    assert_eq!(g.deliver("messages.upsert", direct).await, 200);
    let by_lid = json!({ "type": "notify", "messages": [{ "key": { "remoteJid": GROUP, "id": "G1", "participant": "2790@lid" },
                         "pushName": "Marta", "message": { "conversation": "soy yo" } }] });
    assert_eq!(g.deliver("messages.upsert", by_lid).await, 200);
    assert_eq!(count("Marta").await.len(), 2, "nothing yet says they are one person");
    // A message that shows both: one contact, with both identifiers and both conversations.
    let both = json!({ "type": "notify", "messages": [{ "key": { "remoteJid": GROUP, "id": "G2", "participant": "2790@lid",
                       "participantAlt": "573009990000@s.whatsapp.net" }, "pushName": "Marta", "message": { "conversation": "otra vez" } }] });
    assert_eq!(g.deliver("messages.upsert", both).await, 200);
    let found = count("Marta").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0]["identifier"].as_str(), found[0]["phone_number"].as_str()), (Some("2790@lid"), Some("+573009990000")));
    let conversations =
        g.app.get(&g.w.path(&format!("/contacts/{}/conversations", found[0]["id"]))).token(&g.w.admin.access_token).send().await;
    let list = conversations.body["payload"].as_array().unwrap();
    assert_eq!(list.len(), 1, "her own conversation (the group's is the group's)");
    let lines = g.conversation_messages(list[0]["id"].as_i64().unwrap()).await;
    assert!(
        lines.iter().any(|m| m["message_type"] == 2 && m["content"].as_str().unwrap().contains("WhatsApp shows they are the same person")),
        "{lines:?}"
    );

    // Two first messages of a new person at once make one contact.
    let first = |id: &str| {
        json!({ "type": "notify", "messages": [{ "key": { "remoteJid": GROUP, "id": id, "participant": "2795@lid",
                 "participantAlt": "573008887777@s.whatsapp.net" }, "pushName": "Rosa", "message": { "conversation": id } }] })
    };
    let (a, b) = tokio::join!(g.deliver("messages.upsert", first("C1")), g.deliver("messages.upsert", first("C2")));
    assert_eq!((a, b), (200, 200));
    assert_eq!(count("Rosa").await.len(), 1);
}

#[tokio::test]
async fn activity_lines_follow_the_accounts_locale() {
    let (g, mut ws, _) = Groups::with_group().await;
    let r = g.app.patch(&g.w.path("")).token(&g.w.admin.access_token).json(&json!({ "locale": "pt_BR" })).send().await;
    assert_eq!(r.status, 200, "{}", r.body);
    let add = json!({ "id": GROUP, "action": "add", "participants": [{ "id": "2796@lid", "phoneNumber": "573006660000@s.whatsapp.net" }] });
    assert_eq!(g.deliver("group-participants.update", add).await, 200);
    next_event(&mut ws, "contact.group_synced").await;
    let settings = json!([{ "id": GROUP, "announce": true }]);
    assert_eq!(g.deliver("groups.update", settings).await, 200);
    next_event(&mut ws, "contact.group_synced").await;
    let lines: Vec<String> = g
        .conversation_messages(1)
        .await
        .iter()
        .filter(|m| m["message_type"] == 2)
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect();
    assert!(lines.contains(&"+573006660000 entrou no grupo".to_string()), "{lines:?}");
    assert!(lines.contains(&"Somente admins podem enviar mensagens".to_string()), "{lines:?}");
}

#[tokio::test]
async fn pictures_of_groups_and_senders_are_kept_and_refreshed_when_they_change() {
    let g = Groups::new().await;
    let first: Vec<u8> = [&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10][..], b"JFIF\0group-1"].concat();
    let luis: Vec<u8> = [&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10][..], b"JFIF\0luis"].concat();
    g.provider.set_group(crate::groups::metadata("Pedidos", &[]));
    g.provider.set_picture(GROUP, first.clone());
    g.provider.set_picture("2772@lid", luis.clone());
    let mut ws = g.admin_socket().await;
    assert_eq!(g.group_says("M1", "2772@lid", "573002223333", "Luis", "hola").await, 200);

    // The group's picture after its sync, the sender's as a new contact; both ours to serve.
    let thumbnail_of = |c: &Value| c["thumbnail"].as_str().unwrap_or_default().to_string();
    let group = loop {
        let synced = next_event(&mut ws, "contact.group_synced").await;
        if thumbnail_of(&synced).contains("/avatars/") {
            break synced;
        }
    };
    let url = thumbnail_of(&group);
    let got = g.app.client.get(&url).send().await.unwrap();
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert_eq!(got.bytes().await.unwrap().to_vec(), first);
    // (Its `contact.updated` may have come before the group's event; the API says it too.)
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let sender = loop {
        let found = g.app.get(&g.w.path("/contacts/search?q=Luis")).token(&g.w.admin.access_token).send().await;
        let luis = found.body["payload"][0].clone();
        if thumbnail_of(&luis).contains("/avatars/") {
            break luis;
        }
        assert!(tokio::time::Instant::now() < deadline, "Luis never got his picture: {luis}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(g.app.client.get(thumbnail_of(&sender)).send().await.unwrap().bytes().await.unwrap().to_vec(), luis);

    // Not again within the day, unless the picture changed.
    let asked = || g.provider.requests().iter().filter(|r| r.path.ends_with("/profile-picture-url") && r.query.contains("g.us")).count();
    assert_eq!(asked(), 1);
    let second: Vec<u8> = [&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10][..], b"JFIF\0group-2"].concat();
    g.provider.set_picture(GROUP, second.clone());
    let stub =
        json!({ "type": "notify", "messages": [{ "key": { "remoteJid": GROUP, "id": "S9" }, "messageStubType": "GROUP_CHANGE_ICON" }] });
    assert_eq!(g.deliver("messages.upsert", stub).await, 200);
    let changed = loop {
        let synced = next_event(&mut ws, "contact.group_synced").await;
        if !thumbnail_of(&synced).is_empty() && thumbnail_of(&synced) != url {
            break synced;
        }
    };
    assert_eq!(g.app.client.get(thumbnail_of(&changed)).send().await.unwrap().bytes().await.unwrap().to_vec(), second);
    assert_eq!(g.app.client.get(&url).send().await.unwrap().status(), 404, "the old picture is gone");
    assert_eq!(asked(), 2);
    // Only avatar names are served.
    let probe = url.rsplit_once('/').unwrap().0.to_string() + "/../../etc/passwd";
    assert_eq!(g.app.client.get(probe).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_voice_note_recorded_in_the_dashboard_goes_as_one() {
    let (g, _ws, _) = Groups::with_group().await;
    let conv = g.group_message("M1", |_| true).await["conversation_id"].as_i64().unwrap();
    let ogg = b"OggS\0\x02fake-opus-voice".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("is_recorded_audio", "true")
        .part("attachments[]", reqwest::multipart::Part::bytes(ogg.clone()).file_name("voice.ogg").mime_str("audio/ogg").unwrap());
    let url = g.app.url(&g.w.path(&format!("/conversations/{conv}/messages")));
    let r = g.app.client.post(url).header("api_access_token", &g.w.admin.access_token).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let message: Value = r.json().await.unwrap();
    assert_eq!(message["attachments"][0]["meta"]["is_recorded_audio"], true, "{message}");
    let sent = g.provider.wait_for(|r| r.path.ends_with("/send-message")).await.unwrap();
    let content = &sent.body["messageContent"];
    assert_eq!(content["ptt"], true);
    assert_eq!(content["audio"], base64::engine::general_purpose::STANDARD.encode(&ogg));
}
