//! Reports: reporting events derived from the log with the exact times of a real conversation,
//! their rebuild, every Reports operation's figures, shape, callers and bad input, and CSV.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_testkit::{TestApp, World};

use crate::conversations::{new_conversation, setup};
use crate::support::{assert_invalid, matrix, Matrix, ADMIN_WRITE, READ};

/// The conversation's reporting events once `names` are all there (the reader polls each second).
async fn events_once(app: &TestApp, w: &World, display_id: i64, names: &[&str]) -> Vec<Value> {
    let path = w.path(&format!("/conversations/{display_id}/reporting_events"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = app.get(&path).token(&w.admin.access_token).send().await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let list = r.body.as_array().cloned().unwrap_or_default();
        let have: Vec<&str> = list.iter().filter_map(|e| e["name"].as_str()).collect();
        if names.iter().all(|n| have.iter().filter(|h| *h == n).count() >= names.iter().filter(|m| *m == n).count()) {
            return list;
        }
        assert!(tokio::time::Instant::now() < deadline, "waiting for {names:?}, have {have:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn named<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("no {name} in {events:?}"))
}

fn epoch(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().timestamp()
}

/// Writes a message as the contact (incoming) or as `token`'s user (outgoing); its created_at.
async fn say(app: &TestApp, w: &World, display_id: i64, token: &str, incoming: bool) -> i64 {
    let body = if incoming { json!({ "content": "hello", "message_type": "incoming" }) } else { json!({ "content": "hi there" }) };
    let r = app.post(&w.path(&format!("/conversations/{display_id}/messages"))).token(token).json(&body).send().await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["created_at"].as_i64().unwrap()
}

async fn set_status(app: &TestApp, w: &World, display_id: i64, status: &str) -> i64 {
    let r = app
        .post(&w.path(&format!("/conversations/{display_id}/toggle_status")))
        .token(&w.admin.access_token)
        .json(&json!({ "status": status }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let c = app.get(&w.path(&format!("/conversations/{display_id}"))).token(&w.admin.access_token).send().await;
    c.body["updated_at"].as_i64().unwrap()
}

/// Each kept input's event name, its whole log event and what was kept.
async fn kept_inputs(app: &TestApp, account_id: i64) -> Vec<(String, Value, Value)> {
    use diesel::sql_types::{Jsonb, Text};
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Jsonb)]
        logged: Value,
        #[diesel(sql_type = Jsonb)]
        kept: Value,
    }
    let mut conn = app.db.get().await.unwrap();
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT i->>1 AS name, e.data AS logged, i->3 AS kept FROM report_inputs r, jsonb_array_elements(r.inputs) i \
         JOIN realtime_events e ON e.seq = (i->>0)::int8 WHERE r.account_id = $1 AND e.account_id = $1 ORDER BY e.seq",
    )
    .bind::<diesel::sql_types::BigInt, _>(account_id)
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| (r.name, r.logged, r.kept)).collect()
}

fn strip_nulls(v: &mut Value) {
    if let Value::Object(m) = v {
        m.retain(|_, x| !x.is_null());
        m.values_mut().for_each(strip_nulls);
    }
}

/// Rows of the account's reporting events and roll-ups, without ids (which a rebuild renews).
async fn derived(app: &TestApp, account_id: i64) -> (Vec<String>, Vec<String>) {
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        r: String,
    }
    let mut conn = app.db.get().await.unwrap();
    let events: Vec<String> = switchboard_store::reports::all(&mut conn, account_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{:?}", switchboard_store::reports::ReportingEvent { id: 0, ..e }))
        .collect();
    let rollups: Vec<Row> = diesel::sql_query(
        "SELECT concat_ws(' ', 's', dim, dim_id, metric, inbox_id, bucket, count, total, total_bh) AS r FROM report_slots WHERE account_id = $1 \
         UNION ALL SELECT concat_ws(' ', 'd', dim, dim_id, metric, inbox_id, bucket, count, total, total_bh) FROM report_days WHERE account_id = $1 \
         ORDER BY 1",
    )
    .bind::<diesel::sql_types::BigInt, _>(account_id)
    .load(&mut conn)
    .await
    .unwrap();
    (events, rollups.into_iter().map(|r| r.r).collect())
}

#[tokio::test]
async fn reporting_events_measure_a_conversation_exactly_and_rebuild_the_same() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    let (admin, agent) = (&w.admin.access_token, &w.agent.access_token);
    // Working hours all week in Kolkata (+5:30): business time is calendar time.
    let week: Vec<Value> = (0..7).map(|d| json!({ "day_of_week": d, "open_all_day": true })).collect();
    let r = app
        .patch(&w.path(&format!("/inboxes/{inbox}")))
        .token(admin)
        .json(&json!({ "working_hours_enabled": true, "working_hours": week, "timezone": "Asia/Kolkata" }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    let c = new_conversation(&app, &w, inbox, contact).await;
    let (id, created) = (c["id"].as_i64().unwrap(), c["created_at"].as_i64().unwrap());
    say(&app, &w, id, admin, true).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let first = say(&app, &w, id, agent, false).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let asked = say(&app, &w, id, admin, true).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let replied = say(&app, &w, id, agent, false).await;
    let resolved = set_status(&app, &w, id, "resolved").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reopened = set_status(&app, &w, id, "open").await;

    let events = events_once(&app, &w, id, &["first_response", "reply_time", "conversation_resolved", "conversation_opened"]).await;
    assert_eq!(events.len(), 4, "{events:?}");
    let fr = named(&events, "first_response");
    assert_eq!(fr["value"].as_f64(), Some((first - created) as f64));
    assert_eq!(fr["value_in_business_hours"], fr["value"]);
    assert_eq!((epoch(&fr["event_start_time"]), epoch(&fr["event_end_time"])), (created, first));
    assert_eq!(
        (fr["user_id"].as_i64(), fr["inbox_id"].as_i64(), fr["conversation_id"].as_i64()),
        (Some(w.agent.id), Some(inbox), Some(id))
    );
    let reply = named(&events, "reply_time");
    assert_eq!(reply["value"].as_f64(), Some((replied - asked) as f64));
    let resolution = named(&events, "conversation_resolved");
    assert_eq!(resolution["value"].as_f64(), Some((resolved - created) as f64));
    assert_eq!(epoch(&resolution["event_end_time"]), resolved);
    let opened = named(&events, "conversation_opened");
    assert_eq!(opened["value"].as_f64(), Some((reopened - resolved) as f64));
    // Oldest first.
    let ends: Vec<i64> = events.iter().map(|e| epoch(&e["event_end_time"])).collect();
    assert!(ends.windows(2).all(|p| p[0] <= p[1]), "{ends:?}");

    // The account's list: administrators, filters, paging, bad input.
    let list = app.get(&w.path("/reporting_events")).token(admin).send().await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    assert_eq!(
        (list.body["meta"]["count"].as_i64(), list.body["meta"]["current_page"].as_i64(), list.body["meta"]["total_pages"].as_i64()),
        (Some(4), Some(1), Some(1))
    );
    let only = app.get(&w.path("/reporting_events?name=first_response")).token(admin).send().await;
    assert_eq!(only.body["payload"].as_array().map(Vec::len), Some(1));
    let resolution_alias = app.get(&w.path("/reporting_events?name=resolution")).token(admin).send().await;
    assert_eq!(resolution_alias.body["payload"][0]["name"], "conversation_resolved");
    let by_user = app.get(&w.path(&format!("/reporting_events?user_id={}", w.agent.id))).token(admin).send().await;
    // The resolution and reopening of an unassigned conversation have no user.
    assert_eq!(by_user.body["meta"]["count"].as_i64(), Some(2), "{:?}", by_user.body);
    let other_inbox = app.get(&w.path(&format!("/reporting_events?inbox_id={}", inbox + 1000))).token(admin).send().await;
    assert_eq!(other_inbox.body["meta"]["count"].as_i64(), Some(0));
    let window = app.get(&w.path(&format!("/reporting_events?since={}&until={}", first, first + 1))).token(admin).send().await;
    assert_eq!(window.body["payload"][0]["name"], "first_response", "{:?}", window.body);
    assert_invalid(&app.get(&w.path("/reporting_events?since=yesterday")).token(admin).send().await, "since");
    assert_invalid(&app.get(&w.path(&format!("/reporting_events?since={}&until={}", first + 5, first))).token(admin).send().await, "since");
    assert_invalid(&app.get(&w.path("/reporting_events?name=nope")).token(admin).send().await, "name");
    assert_eq!(matrix(&app, &w, Method::GET, &w.path("/reporting_events"), None).await, ADMIN_WRITE);
    assert_eq!(matrix(&app, &w, Method::GET, &w.path(&format!("/conversations/{id}/reporting_events")), None).await, READ);
    assert_eq!(app.get(&w.path("/conversations/999/reporting_events")).token(admin).send().await.status, 404);

    // What the reader kept of each log event (slimmed in SQL) is what domain::reports::slim
    // makes of it (nulls aside: the SQL leaves absent what is null).
    let kept = kept_inputs(&app, w.account_id).await;
    assert!(kept.len() >= 8, "{}", kept.len());
    for (name, logged, slimmed) in &kept {
        let mut expected = switchboard_domain::reports::slim(name, logged).unwrap_or_else(|| panic!("{name} is not read"));
        strip_nulls(&mut expected);
        let mut got = slimmed.clone();
        strip_nulls(&mut got);
        assert_eq!(got, expected, "{name}");
    }

    // Rebuilding from the kept log inputs gives the same rows, events and roll-ups alike.
    let before = derived(&app, w.account_id).await;
    assert!(!before.0.is_empty() && !before.1.is_empty());
    let read = switchboard_core::reports::rebuild(&app.db, w.account_id).await.unwrap();
    assert!(read >= 8, "{read}");
    assert_eq!(derived(&app, w.account_id).await, before);
}

/// Sums a series' values.
fn total(points: &Value) -> f64 {
    points.as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).sum()
}

#[tokio::test]
async fn reports_answer_from_the_rollups_for_what_the_caller_sees() {
    let app = TestApp::spawn().await;
    let w = app.seed().await;
    let (inbox, contact) = setup(&app, &w).await;
    let (admin, agent) = (&w.admin.access_token, &w.agent.access_token);
    // An inbox the agent does not work in, with a conversation of its own.
    let hidden = app.create_inbox(w.account_id, "Hidden").await;
    let stranger = app
        .post(&w.path("/contacts"))
        .token(admin)
        .json(&json!({ "name": "Sam", "inbox_id": hidden, "source_id": "sam-1" }))
        .send()
        .await
        .body["payload"]["contact"]["id"]
        .as_i64()
        .unwrap();
    let label = app.post(&w.path("/labels")).token(admin).json(&json!({ "title": "vip" })).send().await.body["id"].as_i64().unwrap();
    let team = app.post(&w.path("/teams")).token(admin).json(&json!({ "name": "Support" })).send().await.body["id"].as_i64().unwrap();

    let c = new_conversation(&app, &w, inbox, contact).await;
    let id = c["id"].as_i64().unwrap();
    let other = new_conversation(&app, &w, hidden, stranger).await["id"].as_i64().unwrap();
    say(&app, &w, id, admin, true).await;
    say(&app, &w, other, admin, true).await;
    let r = app
        .post(&w.path(&format!("/conversations/{id}/assignments")))
        .token(admin)
        .json(&json!({ "assignee_id": w.agent.id }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    app.post(&w.path(&format!("/conversations/{id}/assignments"))).token(admin).json(&json!({ "team_id": team })).send().await;
    app.post(&w.path(&format!("/conversations/{id}/labels"))).token(admin).json(&json!({ "labels": ["vip"] })).send().await;
    say(&app, &w, id, agent, false).await;
    set_status(&app, &w, id, "resolved").await;
    events_once(&app, &w, id, &["first_response", "conversation_resolved"]).await;
    // The roll-ups are written with the events; give the reader one more round for the rest.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let now = chrono::Utc::now().timestamp();
    let range = format!("since={}&until={}", now - 86_400, now + 3_600);
    let v2 = |rest: &str| format!("/api/v2/accounts/{}{rest}", w.account_id);
    let get = |token: &str, rest: String| {
        let (app, token) = (&app, token.to_string());
        async move { app.get(&rest).token(&token).send().await }
    };

    // The time series: the administrator sees both conversations, the agent only theirs.
    let series = get(admin, v2(&format!("/reports?metric=conversations_count&type=account&{range}"))).await;
    assert_eq!(series.status, 200, "{:?}", series.body);
    assert_eq!(series.body.as_array().map(Vec::len), Some(2), "two days, zeros included: {:?}", series.body);
    assert_eq!(total(&series.body), 2.0);
    let mine = get(agent, v2(&format!("/reports?metric=conversations_count&type=account&{range}"))).await;
    assert_eq!(total(&mine.body), 1.0, "{:?}", mine.body);
    let incoming = get(admin, v2(&format!("/reports?metric=incoming_messages_count&{range}&group_by=week&timezone_offset=5.5"))).await;
    assert_eq!(total(&incoming.body), 2.0);
    let frt = get(admin, v2(&format!("/reports?metric=avg_first_response_time&type=agent&id={}&{range}", w.agent.id))).await;
    let point = frt.body.as_array().unwrap().iter().find(|p| p["count"].as_i64() == Some(1)).cloned().unwrap();
    let event = app.get(&w.path(&format!("/conversations/{id}/reporting_events"))).token(admin).send().await;
    assert_eq!(point["value"], named(event.body.as_array().unwrap(), "first_response")["value"]);
    for (kind, obj) in [("inbox", inbox), ("team", team), ("label", label), ("agent", w.agent.id)] {
        let r = get(admin, v2(&format!("/reports?metric=resolutions_count&type={kind}&id={obj}&{range}"))).await;
        assert_eq!(total(&r.body), 1.0, "{kind}: {:?}", r.body);
    }
    let hidden_inbox = get(agent, v2(&format!("/reports?metric=conversations_count&type=inbox&id={hidden}&{range}"))).await;
    assert_eq!(hidden_inbox.status, 404);
    let outsider = get(&w.outsider.access_token, v2(&format!("/reports?metric=conversations_count&{range}"))).await;
    assert_eq!(outsider.status, 404);
    // Bad input names the parameter.
    assert_invalid(&get(admin, v2(&format!("/reports?metric=nope&{range}"))).await, "metric");
    assert_invalid(&get(admin, v2("/reports?metric=conversations_count&since=200&until=100")).await, "since");
    assert_invalid(&get(admin, v2("/reports?metric=conversations_count&since=soon")).await, "since");
    assert_invalid(&get(admin, v2("/reports?metric=conversations_count&since=0&until=900000000")).await, "until");
    assert_invalid(&get(admin, v2(&format!("/reports?metric=conversations_count&group_by=hour&{range}"))).await, "group_by");
    assert_invalid(&get(admin, v2(&format!("/reports?metric=conversations_count&type=planet&{range}"))).await, "type");
    assert_invalid(&get(admin, v2(&format!("/reports?metric=conversations_count&type=inbox&{range}"))).await, "id");
    assert_invalid(&get(admin, v2(&format!("/reports?metric=conversations_count&timezone_offset=x&{range}"))).await, "timezone_offset");

    // The summary, with the previous range (empty).
    let s = get(admin, v2(&format!("/reports/summary?type=account&{range}"))).await;
    assert_eq!(s.status, 200, "{:?}", s.body);
    assert_eq!((s.body["conversations_count"].as_i64(), s.body["incoming_messages_count"].as_i64()), (Some(2), Some(2)));
    assert_eq!((s.body["outgoing_messages_count"].as_i64(), s.body["resolutions_count"].as_i64()), (Some(1), Some(1)));
    assert!(s.body["avg_first_response_time"].as_f64().is_some());
    assert_eq!(s.body["previous"]["conversations_count"].as_i64(), Some(0));
    let agent_summary = get(agent, v2(&format!("/reports/summary?{range}"))).await;
    assert_eq!(agent_summary.body["conversations_count"].as_i64(), Some(1));

    // Live counts.
    let live = get(admin, v2("/reports/conversations?type=account")).await;
    assert_eq!((live.body["open"].as_i64(), live.body["unassigned"].as_i64()), (Some(1), Some(1)), "{:?}", live.body);
    let live_agent = get(agent, v2("/reports/conversations")).await;
    assert_eq!(live_agent.body["open"].as_i64(), Some(0), "the open one is in the hidden inbox");
    let agents = get(admin, v2(&format!("/reports/conversations/?type=agent&user_id={}", w.agent.id))).await;
    assert_eq!(agents.status, 200, "{:?}", agents.body);
    assert_eq!(agents.body.as_array().map(Vec::len), Some(1));
    assert_eq!(agents.body[0]["metric"]["open"].as_i64(), Some(0));
    assert_eq!(get(admin, v2("/reports/conversations?type=agent&user_id=999999")).await.status, 404);

    // Summaries per agent, inbox and team.
    let by_agent = get(admin, v2(&format!("/summary_reports/agent?{range}"))).await;
    let line = by_agent.body.as_array().unwrap().iter().find(|l| l["id"].as_i64() == Some(w.agent.id)).cloned().unwrap();
    assert_eq!((line["conversations_count"].as_i64(), line["resolved_conversations_count"].as_i64()), (Some(1), Some(1)));
    assert!(line["avg_first_response_time"].as_f64().is_some() && line["avg_reply_time"].is_null());
    let by_inbox = get(agent, v2(&format!("/summary_reports/inbox?{range}"))).await;
    let ids: Vec<i64> = by_inbox.body.as_array().unwrap().iter().filter_map(|l| l["id"].as_i64()).collect();
    assert_eq!(ids, vec![inbox], "agents see their inboxes only");
    let by_team = get(admin, v2(&format!("/summary_reports/team?{range}&business_hours=true"))).await;
    assert_eq!(by_team.body[0]["resolved_conversations_count"].as_i64(), Some(1));
    assert_eq!(by_team.body[0]["avg_resolution_time"].as_f64(), Some(0.0), "no working hours kept: 0, as the reference");
    let channels = get(admin, v2(&format!("/summary_reports/channel?{range}"))).await;
    assert_eq!(channels.body["Channel::Api"]["total"].as_i64(), Some(2), "{:?}", channels.body);
    assert_eq!(channels.body["Channel::Api"]["resolved"].as_i64(), Some(1));
    let too_long = get(admin, v2(&format!("/summary_reports/channel?since={}&until={now}", now - 200 * 86_400))).await;
    assert_eq!(too_long.status, 400);

    // Distribution, matrix, outgoing messages.
    let dist = get(admin, v2(&format!("/reports/first_response_time_distribution?{range}"))).await;
    assert_eq!(dist.body["Channel::Api"]["0-1h"].as_i64(), Some(1), "{:?}", dist.body);
    let m = get(admin, v2(&format!("/reports/inbox_label_matrix?{range}&label_ids[]={label}"))).await;
    assert_eq!(m.body["labels"][0]["title"], "vip");
    let row = m.body["inboxes"].as_array().unwrap().iter().position(|i| i["id"].as_i64() == Some(inbox)).unwrap();
    assert_eq!(m.body["matrix"][row][0].as_i64(), Some(1));
    assert_invalid(&get(admin, v2(&format!("/reports/inbox_label_matrix?{range}&inbox_ids=a"))).await, "inbox_ids");
    let out = get(admin, v2(&format!("/reports/outgoing_messages_count?group_by=agent&{range}"))).await;
    let mine = out.body.as_array().unwrap().iter().find(|l| l["id"].as_i64() == Some(w.agent.id)).cloned().unwrap();
    assert_eq!(mine["outgoing_messages_count"].as_i64(), Some(1));
    assert_invalid(&get(admin, v2(&format!("/reports/outgoing_messages_count?group_by=planet&{range}"))).await, "group_by");
    let by_label = get(admin, v2(&format!("/reports/outgoing_messages_count?group_by=label&{range}"))).await;
    assert_eq!(by_label.body[0]["outgoing_messages_count"].as_i64(), Some(1));

    // CSV for administrators: by Accept, or by a .csv path.
    let csv = app.get(&v2(&format!("/summary_reports/agent?{range}"))).token(admin).header("Accept", "text/csv").send().await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").is_some_and(|t| t.starts_with("text/csv")));
    let text = csv.body.as_str().unwrap();
    assert!(text.starts_with("avg_first_response_time,avg_reply_time,avg_resolution_time,conversations_count,id,"), "{text}");
    assert!(text.contains(&format!(",{},", w.agent.id)), "{text}");
    let by_path = app.get(&v2(&format!("/summary_reports/inbox.csv?{range}"))).token(admin).send().await;
    assert!(by_path.body.as_str().is_some_and(|t| t.lines().count() == 3), "{:?}", by_path.body);
    let series_csv = app.get(&v2(&format!("/reports.csv?metric=conversations_count&{range}"))).token(admin).send().await;
    assert!(series_csv.body.as_str().is_some_and(|t| t.starts_with("timestamp,value")), "{:?}", series_csv.body);
    assert_eq!(app.get(&v2(&format!("/summary_reports/agent.csv?{range}"))).token(agent).send().await.status, 401);

    // Callers of every operation.
    let csv_matrix = Matrix { agent: 401, ..READ };
    for (path, expected) in [
        (v2(&format!("/reports?metric=conversations_count&{range}")), &READ),
        (v2(&format!("/reports/summary?{range}")), &READ),
        (v2("/reports/conversations"), &READ),
        (v2("/reports/conversations/?type=agent"), &READ),
        (v2(&format!("/summary_reports/agent?{range}")), &READ),
        (v2(&format!("/summary_reports/inbox?{range}")), &READ),
        (v2(&format!("/summary_reports/team?{range}")), &READ),
        (v2(&format!("/summary_reports/channel?{range}")), &READ),
        (v2(&format!("/reports/first_response_time_distribution?{range}")), &READ),
        (v2(&format!("/reports/inbox_label_matrix?{range}")), &READ),
        (v2(&format!("/reports/outgoing_messages_count?group_by=inbox&{range}")), &READ),
        (v2(&format!("/summary_reports/team.csv?{range}")), &csv_matrix),
        (v2(&format!("/summary_reports/channel.csv?{range}")), &csv_matrix),
        (v2(&format!("/reports.csv?metric=conversations_count&{range}")), &csv_matrix),
    ] {
        assert_eq!(&matrix(&app, &w, Method::GET, &path, None).await, expected, "{path}");
    }
}

/// Each account's reports share a budget of database time: past it a report waits its turn,
/// and one that would wait too long is a 429 with Retry-After. Other accounts are untouched.
#[tokio::test]
async fn an_account_past_its_report_time_is_paced_and_then_refused() {
    use switchboard_core::settings::ReportLimits;
    // A millionth of real time and no burst: the first report is admitted, and whatever it took
    // (at least a microsecond) is then more than a second of waiting, past `max_wait`.
    let app = TestApp::spawn_with(|s| {
        s.reports = ReportLimits { share: 1e-6, burst: Duration::ZERO, max_wait: Duration::from_secs(1) };
    })
    .await;
    let w = app.seed().await;
    let v2 = |account: i64| format!("/api/v2/accounts/{account}/reports/summary?type=account");

    let first = app.get(&v2(w.account_id)).token(&w.admin.access_token).send().await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let second = app.get(&v2(w.account_id)).token(&w.agent.access_token).send().await;
    assert_eq!(second.status, 429, "{:?}", second.body);
    let retry: u64 = second.header("retry-after").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(retry > 1, "Retry-After {retry}");
    assert!(second.body["error"].as_str().is_some_and(|e| !e.is_empty()), "{:?}", second.body);
    // Every report route shares the account's budget, CSV included.
    let csv = app.get(&format!("/api/v2/accounts/{}/summary_reports/agent.csv", w.account_id)).token(&w.admin.access_token).send().await;
    assert_eq!(csv.status, 429);
    // Bad input is still answered at once: it costs no report time.
    let bad = app.get(&format!("/api/v2/accounts/{}/reports?metric=nope", w.account_id)).token(&w.admin.access_token).send().await;
    assert_invalid(&bad, "metric");
    // The other account has a budget of its own.
    let other = app.get(&v2(w.other_account_id)).token(&w.outsider.access_token).send().await;
    assert_eq!(other.status, 200, "{:?}", other.body);

    // With a real share, a report over budget waits for its turn instead of failing.
    let app = TestApp::spawn_with(|s| {
        s.reports = ReportLimits { share: 0.5, burst: Duration::ZERO, max_wait: Duration::from_secs(10) };
    })
    .await;
    let w = app.seed().await;
    for _ in 0..5 {
        let r = app.get(&v2(w.account_id)).token(&w.admin.access_token).send().await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
}
