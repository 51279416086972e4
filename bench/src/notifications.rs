//! One-call template sends (`send_notification_by_id`, the retailer API) against the same
//! template sent to the same kind of new number through the Chatwoot API (create the contact,
//! then the conversation with its first message), in one run against one fake BSP. Reports
//! notifications per second, the answer's latency, and the time from the request to the BSP's
//! receiving the send.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use switchboard_api::Application;
use switchboard_core::settings::{Settings, WhatsappSettings};
use switchboard_store::DbPool;
use switchboard_testkit::bsp::{template, FakeBsp};
use tokio::sync::Mutex;

pub struct PathReport {
    pub sent: usize,
    pub rate: f64,
    pub ack_p50: f64,
    pub ack_p99: f64,
    pub bsp_p50: f64,
    pub bsp_p99: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort_unstable();
    samples.get(((samples.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied().map(ms).unwrap_or_default()
}

/// Runs `count` sends of one path from `concurrency` clients: `send(i)` answers the number it
/// sent to. Then waits until the BSP has every one.
async fn measure<F, Fut>(bsp: &FakeBsp, count: usize, concurrency: usize, send: F) -> anyhow::Result<PathReport>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<String>>,
{
    let started_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let started = Instant::now();
    let results: Vec<anyhow::Result<Duration>> = futures_util::stream::iter(0..count)
        .map(|i| {
            let (send, started_at) = (&send, started_at.clone());
            async move {
                let t0 = Instant::now();
                let to = send(i).await?;
                started_at.lock().await.insert(to, t0);
                Ok(t0.elapsed())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut acks = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let started_at = started_at.lock().await.clone();
    // Every send reaches the BSP (within a minute), once.
    let deadline = Instant::now() + Duration::from_secs(60);
    let reached = loop {
        let reached: Vec<(String, Instant)> = bsp
            .requests()
            .into_iter()
            .filter(|r| r.service() == Some("template"))
            .filter_map(|r| Some((r.body["to"].as_str()?.to_string(), r.at)))
            .filter(|(to, _)| started_at.contains_key(&format!("+{to}")))
            .collect();
        if reached.len() >= count || Instant::now() > deadline {
            break reached;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let elapsed = started.elapsed().as_secs_f64();
    anyhow::ensure!(reached.len() == count, "{} of {count} sends reached the BSP", reached.len());
    let mut to_bsp: Vec<Duration> =
        reached.iter().filter_map(|(to, at)| Some(at.duration_since(*started_at.get(&format!("+{to}"))?))).collect();
    Ok(PathReport {
        sent: count,
        rate: count as f64 / elapsed,
        ack_p50: percentile(&mut acks, 0.5),
        ack_p99: percentile(&mut acks, 0.99),
        bsp_p50: percentile(&mut to_bsp, 0.5),
        bsp_p99: percentile(&mut to_bsp, 0.99),
    })
}

pub async fn run(url: &str, count: usize, concurrency: usize) -> anyhow::Result<(PathReport, PathReport)> {
    let bsp = FakeBsp::start().await?;
    bsp.set_templates(vec![template(
        "otp_code",
        "en",
        "APPROVED",
        json!([{ "type": "BODY", "text": "Your OTP for {{1}} is {{2}}. This is valid for {{3}}." }]),
    )]);
    let settings = Settings {
        port: 0,
        outbound_allow_private: true,
        integrator_requests_per_minute: u32::MAX,
        // The BSP's per-number pace is not what is measured here.
        whatsapp: WhatsappSettings { rate_limit: 1_000_000, ..WhatsappSettings::default() },
        ..Settings::default()
    };
    let pool = DbPool::new(url, 20)?;
    // An administrator with a token, in an account of its own.
    let tag = switchboard_core::tokens::random_token(4);
    let (account_id, token) = {
        let mut conn = pool.get().await?;
        let account = switchboard_store::accounts::create(
            &mut conn,
            &switchboard_store::models::AccountChanges { name: Some(format!("NotifyBench {tag}")), ..Default::default() },
        )
        .await?;
        let email = switchboard_domain::users::Email::parse("email", &format!("bench-{tag}@switchboard.local"))?;
        let input = switchboard_core::users::NewUserInput {
            name: "Bench".into(),
            display_name: None,
            email,
            password: None,
            custom_attributes: json!({}),
        };
        let user = switchboard_core::users::create_user(&mut conn, input).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let member = switchboard_store::models::NewAccountUser {
            account_id: account.id,
            user_id: user.id,
            role: switchboard_store::models::Role::Administrator,
            availability: "online".into(),
            auto_offline: false,
            inviter_id: None,
        };
        switchboard_store::account_users::add(&mut conn, &member).await?;
        (account.id, user.access_token)
    };
    let app = Application::build(settings, pool).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run());
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let api = |path: &str| format!("{base}/api/v1/accounts/{account_id}{path}");
    let post = |url: String, body: Value| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let res = client.post(url).header("api_access_token", token).json(&body).send().await?;
            let status = res.status();
            let body: Value = res.json().await?;
            anyhow::ensure!(status.is_success(), "{status}: {body}");
            Ok::<_, anyhow::Error>(body)
        }
    };
    let inbox = post(
        api("/inboxes"),
        json!({ "name": "Bench WhatsApp", "channel": {
        "type": "whatsapp", "phone_number": "+573000000099", "provider": "aldeamo", "provider_config": bsp.provider_config() } }),
    )
    .await?;
    let inbox_id = inbox["id"].as_i64().unwrap_or_default();
    client
        .patch(api(""))
        .header("api_access_token", &token)
        .json(&json!({ "slug": format!("bench-{tag}") }))
        .send()
        .await?
        .error_for_status()?;
    let key = post(api("/api_keys"), json!({ "name": "bench" })).await?["key"].as_str().unwrap_or_default().to_string();
    let templates: Value = client
        .get(format!("{base}/retailers/api/v1/whatsapp_templates"))
        .header("Slug", format!("bench-{tag}"))
        .header("Api-Key", &key)
        .send()
        .await?
        .json()
        .await?;
    let internal_id = templates["templates"][0]["internal_id"].as_str().unwrap_or_default().to_string();
    anyhow::ensure!(!internal_id.is_empty(), "the template was not synced: {templates}");
    let params = json!(["bench", "123456", "10 minutes"]);

    // The retailer API: one call per notification, to a new number each time.
    let one_call = measure(&bsp, count, concurrency, |i| {
        let (client, key, internal_id, params) = (client.clone(), key.clone(), internal_id.clone(), params.clone());
        let url = format!("{base}/retailers/api/v1/whatsapp/send_notification_by_id");
        let slug = format!("bench-{tag}");
        async move {
            let phone = format!("+5939{i:08}");
            let res = client
                .post(url)
                .header("Slug", slug)
                .header("Api-Key", key)
                .json(&json!({ "phone_number": phone, "internal_id": internal_id, "template_params": params }))
                .send()
                .await?;
            anyhow::ensure!(res.status().is_success(), "send_notification_by_id answered {}", res.status());
            Ok(phone)
        }
    })
    .await?;
    // The Chatwoot API: the contact, then the conversation with the template as its first message.
    let chatwoot = measure(&bsp, count, concurrency, |i| {
        let post = &post;
        let api = &api;
        let params = params.clone();
        async move {
            let phone = format!("+5938{i:08}");
            let contact =
                post(api("/contacts"), json!({ "name": format!("Bench {i}"), "phone_number": phone, "inbox_id": inbox_id })).await?;
            let contact_id = contact["payload"]["contact"]["id"].as_i64().unwrap_or_default();
            let message = json!({ "content": "", "template_params": { "name": "otp_code", "language": "en", "body": params } });
            post(api("/conversations"), json!({ "inbox_id": inbox_id, "contact_id": contact_id, "message": message })).await?;
            Ok(phone)
        }
    })
    .await?;
    handle.stop(true).await;
    Ok((one_call, chatwoot))
}
