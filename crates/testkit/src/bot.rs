//! A fake agent bot, as a Botpress or Typebot bridge would be: it hears the bot's deliveries on
//! a real local receiver (signatures, counts, failures on demand) and answers through the REST
//! API with the bot's access token. To an incoming message it replies "Bot: <content>"; to one
//! that asks for a human it hands the conversation over (`toggle_status` to `open`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::fake::lock;
use crate::receiver::Receiver;

/// One call the bot made to the API: what it did, and the status it got.
#[derive(Debug, Clone)]
pub struct Reply {
    pub action: &'static str,
    pub conversation_id: i64,
    pub status: u16,
    pub body: Value,
}

#[derive(Clone)]
pub struct FakeBot {
    pub receiver: Receiver,
    token: Arc<Mutex<String>>,
    replies: Arc<Mutex<Vec<Reply>>>,
}

impl FakeBot {
    /// A bot answering through the API at `api` (the app's address).
    pub async fn start(api: &str) -> anyhow::Result<Self> {
        let receiver = Receiver::start().await?;
        let bot = Self { receiver, token: Arc::default(), replies: Arc::default() };
        let (token, replies, api) = (bot.token.clone(), bot.replies.clone(), api.to_string());
        bot.receiver.on_delivery(Arc::new(move |event: Value| {
            if event["event"] != "message_created" || event["message_type"] != "incoming" {
                return;
            }
            let (Some(account), Some(conversation)) = (event["account"]["id"].as_i64(), event["conversation"]["id"].as_i64()) else {
                return;
            };
            let content = event["content"].as_str().unwrap_or_default().to_string();
            let (action, path, body) = if content.to_lowercase().contains("human") {
                ("handoff", "toggle_status", json!({ "status": "open" }))
            } else {
                ("reply", "messages", json!({ "content": format!("Bot: {content}") }))
            };
            let url = format!("{api}/api/v1/accounts/{account}/conversations/{conversation}/{path}");
            let token = lock(&token).clone();
            let replies = replies.clone();
            tokio::spawn(async move {
                let sent = reqwest::Client::new().post(&url).header("api_access_token", token).json(&body).send().await;
                let (status, body) = match sent {
                    Ok(r) => (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null)),
                    Err(e) => (0, json!(e.to_string())),
                };
                lock(&replies).push(Reply { action, conversation_id: conversation, status, body });
            });
        }));
        Ok(bot)
    }

    pub fn url(&self) -> &str {
        &self.receiver.url
    }

    /// The bot's access token, known once the bot is created with this bot's url.
    pub fn set_token(&self, token: &str) {
        *lock(&self.token) = token.to_string();
    }

    pub fn replies(&self) -> Vec<Reply> {
        lock(&self.replies).clone()
    }

    /// Waits until the bot made `n` calls (or `timeout`).
    pub async fn wait_replies(&self, n: usize, timeout: Duration) -> Vec<Reply> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.replies();
            if got.len() >= n || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
