//! Fills one account with 100,000 conversations and 1,000,000 messages over 20 inboxes and 50
//! agents, in SQL (generate_series), so seeding takes a minute rather than an hour.

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

pub const ACCOUNT_NAME: &str = "Bench";
pub const CONVERSATIONS: i64 = 100_000;
pub const MESSAGES: i64 = 1_000_000;
/// Conversation display id 1 holds this many messages (the "long conversation" scenario).
pub const LONG_CONVERSATION: i64 = 5_000;
/// A word in about 0.5% of messages: the search scenario looks for it.
pub const SEARCH_WORD: &str = "refund";

fn vocabulary() -> String {
    let mut words: Vec<String> = ["order", "delivery", "invoice", "payment", "address", "help", "thanks", "hello", "status", "price"]
        .iter()
        .map(|w| w.to_string())
        .collect();
    // Filler words: distinct, lowercase, never the search word.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while words.len() < 199 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let w: String = (0..6).map(|i| (b'a' + ((state >> (i * 5)) % 26) as u8) as char).collect();
        if !words.contains(&w) && w != SEARCH_WORD {
            words.push(w);
        }
    }
    words.push(SEARCH_WORD.to_string());
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    format!("ARRAY[{}]", quoted.join(","))
}

pub async fn run(url: &str) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    let words = vocabulary();
    let (c, m, long) = (CONVERSATIONS, MESSAGES, LONG_CONVERSATION);
    let rest = m - long;
    // Numbers and words above are ours, never input: the script is plain SQL.
    let script = format!(
        r#"
BEGIN;
DELETE FROM accounts WHERE name = '{ACCOUNT_NAME}';
DELETE FROM users WHERE email LIKE '%@bench.test';
INSERT INTO accounts (name) VALUES ('{ACCOUNT_NAME}');
CREATE TEMP TABLE bench_account ON COMMIT DROP AS SELECT max(id) AS id FROM accounts WHERE name = '{ACCOUNT_NAME}';

INSERT INTO users (name, email, pubsub_token, access_token)
  VALUES ('Bench Admin', 'admin@bench.test', md5(random()::text), 'bench-' || md5(random()::text));
INSERT INTO users (name, email, pubsub_token, access_token)
  SELECT 'Agent ' || g, 'agent' || g || '@bench.test', md5(random()::text || g), md5(random()::text || g) FROM generate_series(1, 50) g;
INSERT INTO account_users (account_id, user_id, role)
  SELECT (SELECT id FROM bench_account), id, CASE WHEN email = 'admin@bench.test' THEN 'administrator' ELSE 'agent' END
  FROM users WHERE email LIKE '%@bench.test';
INSERT INTO inboxes (account_id, name, channel_type, inbox_identifier, hmac_token, secret)
  SELECT (SELECT id FROM bench_account), 'Inbox ' || g, 'api', md5(random()::text || g), md5(random()::text), md5(random()::text)
  FROM generate_series(1, 20) g;
-- Each agent works in about 4 of the 20 inboxes.
INSERT INTO inbox_members (inbox_id, user_id)
  SELECT i.id, u.id FROM inboxes i CROSS JOIN users u
  WHERE i.account_id = (SELECT id FROM bench_account) AND u.email LIKE 'agent%@bench.test' AND (i.id + u.id) % 5 = 0;

INSERT INTO contacts (account_id, name, email, phone_number, last_activity_at, created_at)
  SELECT (SELECT id FROM bench_account), 'Customer ' || g, 'customer' || g || '@example.com', '+57300' || lpad(g::text, 7, '0'),
         now() - (g % 90) * interval '1 day', now() - interval '200 days' + g * interval '5 minutes'
  FROM generate_series(1, 50000) g;

CREATE TEMP TABLE bench_ids ON COMMIT DROP AS SELECT
  (SELECT array_agg(id ORDER BY id) FROM inboxes WHERE account_id = (SELECT id FROM bench_account)) AS inboxes,
  (SELECT array_agg(user_id ORDER BY user_id) FROM account_users WHERE account_id = (SELECT id FROM bench_account) AND role = 'agent') AS agents,
  (SELECT min(id) FROM contacts WHERE account_id = (SELECT id FROM bench_account)) AS first_contact;

INSERT INTO conversations (account_id, display_id, inbox_id, contact_id, assignee_id, status, uuid, labels,
                           last_activity_at, created_at, waiting_since, first_reply_created_at)
  SELECT (SELECT id FROM bench_account), g, b.inboxes[1 + g % 20], b.first_contact + (g % 50000),
         CASE WHEN g % 3 = 0 THEN NULL ELSE b.agents[1 + g % 50] END,
         (ARRAY['open','open','open','open','open','open','resolved','resolved','pending','snoozed'])[1 + g % 10],
         md5(g::text), CASE WHEN g % 7 = 0 THEN ARRAY['billing'] ELSE ARRAY[]::text[] END,
         now() - g * interval '37 seconds', now() - g * interval '40 seconds',
         CASE WHEN g % 4 = 0 THEN now() - g * interval '37 seconds' END,
         CASE WHEN g % 4 <> 0 THEN now() - g * interval '39 seconds' END
  FROM generate_series(1, {c}) g, bench_ids b;
INSERT INTO account_counters (account_id, last_conversation_display_id) VALUES ((SELECT id FROM bench_account), {c});

-- Bulk load without the trigram index, then build it once.
DROP INDEX IF EXISTS messages_content_trgm_idx;
CREATE TEMP TABLE bench_conv ON COMMIT DROP AS
  SELECT id, inbox_id, display_id, contact_id, assignee_id FROM conversations WHERE account_id = (SELECT id FROM bench_account);
CREATE INDEX ON bench_conv (display_id);
-- The long conversation (display id 1).
INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, sender_type, sender_id, created_at)
  SELECT (SELECT id FROM bench_account), c.inbox_id, c.id, g % 2,
         'Message ' || g || ' about my ' || ({words})[1 + ((g::bigint * 7919) % 200)::int] || ' and ' || ({words})[1 + ((g::bigint * 104729) % 200)::int],
         CASE WHEN g % 2 = 0 THEN 'contact' ELSE 'user' END, CASE WHEN g % 2 = 0 THEN c.contact_id ELSE c.assignee_id END,
         now() - interval '1 day' + g * interval '1 second'
  FROM generate_series(1, {long}) g JOIN bench_conv c ON c.display_id = 1;
-- The rest, about ten per conversation.
INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, sender_type, sender_id, created_at)
  SELECT (SELECT id FROM bench_account), c.inbox_id, c.id, g % 2,
         'Hi, ' || ({words})[1 + ((g::bigint * 7919) % 200)::int] || ' ' || ({words})[1 + ((g::bigint * 15485863) % 200)::int] || ' number ' || g,
         CASE WHEN g % 2 = 0 THEN 'contact' ELSE 'user' END, CASE WHEN g % 2 = 0 THEN c.contact_id ELSE c.assignee_id END,
         now() - (g % {c}) * interval '37 seconds'
  FROM generate_series(1, {rest}) g JOIN bench_conv c ON c.display_id = 2 + (g % ({c} - 1));
CREATE INDEX messages_content_trgm_idx ON messages USING gin (content gin_trgm_ops);
COMMIT;
"#
    );
    conn.batch_execute(&script).await?;
    conn.batch_execute("VACUUM ANALYZE").await?;
    Ok(())
}
