//! Operations run with no HTTP server: `Core` alone (as `switchboard worker` runs it) over a
//! database of the test's own. Ingesting a channel delivery stores it and numbers its events in
//! the account's log, in the same change; a change that fails leaves neither.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use switchboard_core::change::Change;
use switchboard_core::{Core, CoreError, Settings};
use switchboard_realtime::{Audience, Event};
use switchboard_store::DbPool;

const PHONE: &str = "+573000000001";

struct Setup {
    core: Core,
    db: DbPool,
    account_id: i64,
    inbox: switchboard_store::models::Inbox,
}

async fn setup() -> Setup {
    let url = switchboard_testkit::fresh_database().await.unwrap();
    let db = DbPool::new(&url, 4).unwrap();
    let mut conn = db.get().await.unwrap();
    let changes = switchboard_store::models::AccountChanges { name: Some("Acme".into()), ..Default::default() };
    let account_id = switchboard_store::accounts::create(&mut conn, &changes).await.unwrap().id;
    let new = switchboard_store::models::NewInbox {
        account_id,
        name: "WhatsApp".into(),
        channel_type: switchboard_domain::inbox::ChannelType::Whatsapp,
        inbox_identifier: switchboard_core::tokens::random_token(12),
        hmac_token: switchboard_core::tokens::random_token(16),
        secret: switchboard_core::tokens::random_token(16),
        phone_number: Some(PHONE.into()),
        provider: Some(switchboard_domain::whatsapp::Provider::Aldeamo),
        provider_config: json!({ "api_url": "http://127.0.0.1:9", "api_key": "k", "user_id": "u", "waba_id": "w" }),
        webhook_token: Some(switchboard_core::tokens::random_token(16)),
    };
    let inbox = switchboard_store::inboxes::create(&mut conn, &new, &Default::default()).await.unwrap();
    let storage_dir = std::env::temp_dir().join(format!("switchboard-core-test-{}-{account_id}", std::process::id()));
    let settings = Settings { public_url: "http://127.0.0.1:1".into(), storage_dir, ..Settings::default() };
    // No job worker, no HTTP: the state and its log writer, nothing else.
    let core = Core::build(settings, db.clone(), false).await.unwrap();
    Setup { core, db, account_id, inbox }
}

fn delivery(id: &str, text: &str) -> Value {
    json!({
        "contacts": [{ "profile": { "name": "William G." }, "wa_id": "573130000002" }],
        "messages": [{ "id": id, "from": "573130000002", "timestamp": "1700000000", "type": "text", "text": { "body": text } }],
        "statuses": null, "origin_number": "573000000001"
    })
}

/// The account's numbered events, once the log writer has moved everything committed so far
/// (an inbound delivery is acknowledged on commit; its events are numbered right after).
async fn log(core: &Core, db: &DbPool, account_id: i64) -> Vec<(i64, String, Value)> {
    core.state.realtime.flush().await;
    let mut conn = db.get().await.unwrap();
    let events = switchboard_store::events::since(&mut conn, account_id, 0, std::time::Duration::from_secs(600), 100).await.unwrap();
    events.into_iter().map(|e| (e.seq, e.event, e.data)).collect()
}

async fn staged(db: &DbPool) -> i64 {
    let mut conn = db.get().await.unwrap();
    switchboard_store::events::staged_count(&mut conn).await.unwrap()
}

#[tokio::test]
async fn ingesting_a_delivery_stores_it_and_numbers_its_events_once() {
    let s = setup().await;
    switchboard_core::channel::receive(&s.core.state, &s.inbox, &delivery("wamid.1", "hola")).await.unwrap();

    let events = log(&s.core, &s.db, s.account_id).await;
    let names: Vec<&str> = events.iter().map(|(_, name, _)| name.as_str()).collect();
    assert_eq!(names, ["contact.created", "conversation.created", "message.created"], "{events:?}");
    assert_eq!(events.iter().map(|(seq, _, _)| *seq).collect::<Vec<_>>(), [1, 2, 3], "numbered in order, from 1");
    let message = &events[2].2;
    assert_eq!(message["content"], "hola");
    assert_eq!(message["conversation"]["id"], 1);
    assert_eq!(staged(&s.db).await, 0, "the outbox is empty once the change is delivered");

    // The same delivery again (a provider retry) stores nothing and announces nothing.
    switchboard_core::channel::receive(&s.core.state, &s.inbox, &delivery("wamid.1", "hola")).await.unwrap();
    assert_eq!(log(&s.core, &s.db, s.account_id).await.len(), 3);
    let mut conn = s.db.get().await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let stored: N = diesel::sql_query("SELECT count(*) AS n FROM messages").get_result(&mut conn).await.unwrap();
    assert_eq!(stored.n, 1);

    // A malformed delivery is refused, naming nothing stored.
    let refused = switchboard_core::channel::receive(&s.core.state, &s.inbox, &json!({ "messages": [{ "type": "text" }] })).await;
    assert!(matches!(refused, Err(CoreError::BadRequest(_))), "{refused:?}");
    assert_eq!(log(&s.core, &s.db, s.account_id).await.len(), 3);
    s.core.stop().await;
}

#[tokio::test]
async fn a_change_that_fails_leaves_no_event() {
    let s = setup().await;
    let mut change = Change::begin(&s.core.state).await.unwrap();
    change.out.push(s.account_id, Event::ContactUpdated, json!({ "id": 1 }), Audience::default());
    let failed: Result<(), CoreError> = Err(CoreError::NotFound);
    assert!(change.finish(&s.core.state, failed).await.is_err());
    assert_eq!(staged(&s.db).await, 0);
    assert!(log(&s.core, &s.db, s.account_id).await.is_empty());

    // The same change succeeding: its event is in the log when `finish` returns.
    let mut change = Change::begin(&s.core.state).await.unwrap();
    change.out.push(s.account_id, Event::ContactUpdated, json!({ "id": 1 }), Audience::default());
    change.finish(&s.core.state, Ok::<_, CoreError>(())).await.unwrap();
    let events = log(&s.core, &s.db, s.account_id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1, "contact.updated");
    s.core.stop().await;
}

/// `n` inbound messages, each from a new sender.
fn new_senders(n: usize, tag: &str) -> Vec<switchboard_store::whatsapp::Inbound> {
    (0..n)
        .map(|i| switchboard_store::whatsapp::Inbound {
            wa_id: format!("5731{tag}{i:05}"),
            phone_number: None,
            name: format!("P{i}"),
            pubsub_token: switchboard_core::tokens::random_token(12),
            conversation_uuid: switchboard_core::tokens::random_token(8),
            source_id: format!("wamid.{tag}.{i}"),
            created_at: chrono::Utc::now(),
            content: Some("hola".into()),
            content_attributes: json!({}),
            reply_to_source: None,
            attachment: None,
            sender_contact_id: None,
            group: false,
        })
        .collect()
}

/// The queries that rendering and staging the events of a batch of `n` new senders costs.
async fn announcing(s: &Setup, n: usize, tag: &str) -> u64 {
    let mut conn = s.db.get().await.unwrap();
    let messages = new_senders(n, tag);
    let delivered = [switchboard_store::whatsapp::Delivered { inbox: &s.inbox, messages: &messages }];
    let received = switchboard_store::whatsapp::receive_all(&mut conn, &delivered).await.unwrap();
    assert_eq!(received[0].iter().filter(|r| r.new_contact && r.new_conversation).count(), n);
    let before = s.db.query_count();
    let mut out = switchboard_core::change::Outbox::default();
    let deliveries = [(received[0].as_slice(), &[][..])];
    switchboard_core::channel::inbound::announce_received(&s.core.state, &mut conn, &mut out, &deliveries).await.unwrap();
    let queries = s.db.query_count() - before;
    assert_eq!(out.write(&mut conn).await.unwrap(), 3 * n, "a contact, a conversation and a message event each");
    queries
}

#[tokio::test]
async fn a_batch_renders_its_events_with_the_same_queries_however_many_new_senders_it_brings() {
    let s = setup().await;
    // The pool also serves the core's background work (the job worker's polls, the log writer's
    // sweep), which can only add to a count: the fewest of three batches is the batch's own.
    let mut one = u64::MAX;
    let mut six = u64::MAX;
    for round in 0..3 {
        one = one.min(announcing(&s, 1, &format!("1{round}")).await);
        six = six.min(announcing(&s, 6, &format!("6{round}")).await);
    }
    assert_eq!(one, six);
    // In order: each sender's contact, conversation, then message.
    let events = log(&s.core, &s.db, s.account_id).await;
    assert_eq!(events.len(), 3 * 21);
    assert!(events.chunks(3).all(|e| e[0].1 == "contact.created" && e[1].1 == "conversation.created" && e[2].1 == "message.created"));
    s.core.stop().await;
}

/// Enum columns read only the values they know: an unknown `message_type` fails the read
/// instead of turning the message into an outgoing one (which a send job would then send).
#[tokio::test]
async fn a_message_of_an_unknown_kind_fails_its_read() {
    let s = setup().await;
    switchboard_core::channel::receive(&s.core.state, &s.inbox, &delivery("wamid.9", "hola")).await.unwrap();
    let mut conn = s.db.get().await.unwrap();
    let c = switchboard_store::conversations::find(&mut conn, s.account_id, 1, switchboard_store::inboxes::Visibility::All)
        .await
        .unwrap()
        .expect("the delivery's conversation");
    let read = switchboard_store::messages::list(&mut conn, c.id, switchboard_store::messages::Cursor::Latest).await.unwrap();
    assert_eq!(read.iter().map(|m| m.message_type).collect::<Vec<_>>(), [switchboard_domain::conversations::MessageType::Incoming]);

    // The column's check refuses an unknown kind; the read is the second guard, for a row
    // written before the check or around it (this test's database is its own to alter).
    let refused = diesel::sql_query("UPDATE messages SET message_type = 7").execute(&mut conn).await;
    assert!(format!("{refused:?}").contains("messages_message_type_check"), "{refused:?}");
    diesel::sql_query("ALTER TABLE messages DROP CONSTRAINT messages_message_type_check").execute(&mut conn).await.unwrap();
    diesel::sql_query("UPDATE messages SET message_type = 7").execute(&mut conn).await.unwrap();
    let read = switchboard_store::messages::list(&mut conn, c.id, switchboard_store::messages::Cursor::Latest).await;
    let error = read.expect_err("an unknown kind is not read as one");
    assert!(format!("{error:?}").contains("unknown message_type 7"), "{error:?}");
    drop(conn);
    s.core.stop().await;
}
