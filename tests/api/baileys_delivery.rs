//! Sends through a Baileys-style provider after they leave: receipts move them to delivered and
//! read (never back), an outcome the provider does not know is asked again with the same
//! idempotency key (never sent twice), and deleting the inbox closes its connection.

use std::time::Duration;

use serde_json::{json, Value};
use switchboard_testkit::provider::Failure;

use crate::groups::{next_event, Groups, PHONE};

impl Groups {
    /// A person writes, and we answer: the display id of the conversation and our message.
    async fn answered(&self, text: &str) -> (i64, Value) {
        let hello = json!({ "messages": [{ "key": { "remoteJid": "573004445555@s.whatsapp.net", "id": "IN1" }, "pushName": "Marta",
                            "message": { "conversation": "hola" } }] });
        assert_eq!(self.deliver("messages.upsert", hello).await, 200);
        let list = self.app.get(&self.w.path("/conversations")).token(&self.w.admin.access_token).send().await;
        let conv = list.body["data"]["payload"][0]["id"].as_i64().unwrap();
        let sent = self
            .app
            .post(&self.w.path(&format!("/conversations/{conv}/messages")))
            .token(&self.w.admin.access_token)
            .json(&json!({ "content": text }))
            .send()
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        (conv, sent.body)
    }

    /// Our message as the API shows it, once `ready` holds (within 10 s).
    async fn message_when(&self, conv: i64, id: &Value, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let messages = self.conversation_messages(conv).await;
            let m = messages.iter().find(|m| m["id"] == *id).cloned().unwrap();
            if ready(&m) {
                return m;
            }
            assert!(tokio::time::Instant::now() < deadline, "never ready: {m}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn receipts_move_a_send_to_delivered_and_read_and_never_back() {
    let g = Groups::new().await;
    let mut ws = g.admin_socket().await;
    let (conv, sent) = g.answered("Ya sale tu pedido").await;
    let m = g.message_when(conv, &sent["id"], |m| m["status"] == "sent").await;
    let source = m["source_id"].as_str().unwrap().to_string();
    let receipt = |r: Value| json!([{ "key": { "id": source, "remoteJid": "573004445555@s.whatsapp.net", "fromMe": true }, "receipt": r }]);

    assert_eq!(
        g.deliver("message-receipt.update", receipt(json!({ "userJid": "573004445555@s.whatsapp.net", "receiptTimestamp": 1 }))).await,
        200
    );
    loop {
        let update = next_event(&mut ws, "message.updated").await;
        if update["id"] == sent["id"] && update["status"] == "delivered" {
            break;
        }
    }
    assert_eq!(
        g.deliver("message-receipt.update", receipt(json!({ "userJid": "573004445555@s.whatsapp.net", "readTimestamp": 2 }))).await,
        200
    );
    g.message_when(conv, &sent["id"], |m| m["status"] == "read").await;
    // A late delivery receipt does not move it back; neither does `messages.update`.
    assert_eq!(g.deliver("message-receipt.update", receipt(json!({ "receiptTimestamp": 3 }))).await, 200);
    let late = json!([{ "key": { "id": source }, "update": { "status": 4 } }]);
    assert_eq!(g.deliver("messages.update", late).await, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(g.message_when(conv, &sent["id"], |_| true).await["status"], "read");
}

#[tokio::test]
async fn an_unknown_outcome_is_asked_again_with_the_same_key_and_never_sent_twice() {
    let g = Groups::new().await;
    // 409 indeterminate, then a stalled 503: both are retried with the same idempotency key.
    g.provider.fail_next_with([Failure::indeterminate(), Failure::stalled()]);
    let (conv, sent) = g.answered("Confirmado").await;
    let m = g.message_when(conv, &sent["id"], |m| m["status"] == "sent").await;
    let sends = g.provider.calls_to("send-message");
    let keys: Vec<&Value> = sends.iter().map(|r| &r.body["chatwootMessageId"]).collect();
    assert_eq!(sends.len(), 3, "two unknown outcomes, then the send: {sends:?}");
    assert!(keys.iter().all(|k| *k == keys[0]), "one key for every attempt: {keys:?}");
    assert!(m["source_id"].as_str().unwrap().starts_with("3EB0FAKE"));
}

#[tokio::test]
async fn deleting_a_baileys_inbox_closes_its_connection() {
    let g = Groups::new().await;
    let path = g.w.path(&format!("/inboxes/{}", g.inbox_id));
    // The provider cannot be reached: the inbox stays, and says why.
    g.provider.fail_next([503]);
    let r = g.app.delete(&path).token(&g.w.admin.access_token).send().await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(g.provider.connection(PHONE).is_some());
    let r = g.app.delete(&path).token(&g.w.admin.access_token).send().await;
    assert_eq!(r.status, 200, "{}", r.body);
    let closed = g.provider.requests().into_iter().filter(|r| r.method == "DELETE").count();
    assert_eq!(closed, 2);
    assert!(g.provider.connection(PHONE).is_none(), "the connection is closed");

    // A connection the provider no longer has is closed already; `force` deletes whatever it says.
    let again = Groups::new().await;
    again.provider.fail_next([404]);
    let r = again.app.delete(&again.w.path(&format!("/inboxes/{}", again.inbox_id))).token(&again.w.admin.access_token).send().await;
    assert_eq!(r.status, 200, "{}", r.body);
    let third = Groups::new().await;
    third.provider.fail_next([500]);
    let r =
        third.app.delete(&third.w.path(&format!("/inboxes/{}?force=true", third.inbox_id))).token(&third.w.admin.access_token).send().await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_person_known_only_by_lid_is_answered_at_it() {
    let g = Groups::new().await;
    let hello = json!({ "messages": [{ "key": { "remoteJid": "2799@lid", "id": "L1" }, "pushName": "Lía", "message": { "conversation": "hola" } }] });
    assert_eq!(g.deliver("messages.upsert", hello).await, 200);
    let list = g.app.get(&g.w.path("/conversations")).token(&g.w.admin.access_token).send().await;
    let conv = list.body["data"]["payload"][0]["id"].as_i64().unwrap();
    assert!(list.body["data"]["payload"][0]["meta"]["sender"]["phone_number"].is_null(), "no number is known");
    let sent = g
        .app
        .post(&g.w.path(&format!("/conversations/{conv}/messages")))
        .token(&g.w.admin.access_token)
        .json(&json!({ "content": "¡Hola Lía!" }))
        .send()
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    g.message_when(conv, &sent.body["id"], |m| m["status"] == "sent").await;
    let request = g.provider.calls_to("send-message").pop().unwrap();
    assert_eq!(request.body["jid"], "2799@lid");
}
