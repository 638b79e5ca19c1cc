//! Reports: share of voice from what listening heard.

use crate::helpers::{csrf_of, spawn_app};
use axum::http::StatusCode;
use serde_json::json;

/// Two topics (the brand and a competitor) over a listening source: each topic's posts and
/// share of all mentions, each source's posts matched or only counted, per day; a range
/// with nothing in it counts nothing, and a date that is no date is named.
#[tokio::test]
async fn share_of_voice_counts_each_topics_posts_per_source_and_day() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for (name, query) in [("Acme", "acme"), ("Globex", "globex")] {
        let (status, topic) = app
            .create_topic(json!({"name": name, "query": query}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{topic}");
        ids.push(topic["id"].as_i64().unwrap());
    }
    let post = |id: &str, text: &str, at: &str| {
        json!({"channel": "x", "account": "public", "source": "listening", "external_id": id,
               "author": {"external_id": format!("u-{id}")}, "text": text, "created_at": at})
    };
    let (status, body) = app
        .post_messages(&json!([
            post("1", "acme is great", "2026-11-30T09:00:00Z"),
            post(
                "2",
                "acme or globex, who is faster?",
                "2026-11-30T10:00:00Z"
            ),
            post("3", "globex delivered early", "2026-12-01T08:00:00Z"),
            post("4", "nothing about anyone", "2026-12-01T09:00:00Z"),
        ]))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let (status, r) = app.share_of_voice("from=2026-11-30&to=2026-12-01").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(
        (r["from"].as_str(), r["to"].as_str()),
        (Some("2026-11-30"), Some("2026-12-01"))
    );
    let topics = r["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 2, "{r}");
    for (t, id) in topics.iter().zip(&ids) {
        assert_eq!(t["topic_id"], *id);
        assert_eq!(t["posts"], 2, "{r}");
        assert_eq!(t["share"], 0.5);
    }
    let sources = r["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{r}");
    let s = &sources[0];
    assert_eq!(
        (s["kind"].as_str(), s["name"].as_str(), s["role"].as_str()),
        (Some("x"), Some("public"), Some("listening"))
    );
    assert_eq!(
        (
            s["posts"].as_i64(),
            s["matched"].as_i64(),
            s["unmatched"].as_i64()
        ),
        (Some(4), Some(3), Some(1)),
        "{s}"
    );
    assert_eq!(s["topics"][0]["name"], "Acme");
    assert_eq!(s["topics"][0]["share"], 0.5, "2 of the source's 4 posts");
    let daily = s["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 2);
    assert_eq!(daily[0]["day"], "2026-11-30");
    assert_eq!(
        (daily[0]["matched"].as_i64(), daily[0]["unmatched"].as_i64()),
        (Some(2), Some(0))
    );
    assert_eq!(daily[0]["topics"][ids[0].to_string()], 2);
    assert_eq!(
        (daily[1]["matched"].as_i64(), daily[1]["unmatched"].as_i64()),
        (Some(1), Some(1))
    );

    // The dashboard shows the same for its range, and puts it in the CSV.
    let ana = app.signed_in_person("ana@acme.test", "Ana", "admin").await;
    let page = app.dashboard(&ana, "from=2026-11-30&to=2026-12-01").await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "Share of voice",
        "Acme (50%)",
        "Globex (50%)",
        "x public: on a topic",
        "x public: no topic",
    ] {
        assert!(
            page.body.contains(shown),
            "{shown} missing from the dashboard"
        );
    }
    let csv = app
        .dashboard(&ana, "from=2026-11-30&to=2026-12-01&format=csv")
        .await;
    assert!(
        csv.body.contains("share_of_voice_posts,Acme (50%)"),
        "{}",
        csv.body
    );
    assert!(
        csv.body.contains("listening_posts,x public: no topic,,1"),
        "{}",
        csv.body
    );

    let (status, none) = app.share_of_voice("from=2026-12-02&to=2026-12-03").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none["sources"], json!([]));
    assert_eq!(none["topics"], json!([]));
    let (status, bad) = app.share_of_voice("from=yesterday&to=2026-12-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["message"].as_str().unwrap().contains("`from`"), "{bad}");
    let (status, other) = app
        .get_as_other("/api/v1/reports/share-of-voice?from=2026-11-30&to=2026-12-01")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        other["sources"],
        json!([]),
        "another workspace hears none of it"
    );
}

/// `/metrics` answers Prometheus without a token and with no workspace's data: requests by
/// status class, workspaces, SLA clocks, the webhook queue, the outbox and channels.
#[tokio::test]
async fn metrics_count_requests_and_what_the_installation_holds() {
    let app = spawn_app().await;
    let message = json!({"channel": "x", "external_id": "m1", "author": {"external_id": "dana"},
        "text": "my order never arrived", "created_at": "2026-12-01T10:00:00Z"});
    let (status, _) = app.post_messages(&json!([message])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = app.get("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, text) = app.metrics().await;
    assert_eq!(status, StatusCode::OK);
    let value = |line: &str| -> i64 {
        text.lines()
            .find(|l| l.starts_with(line))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line} missing from\n{text}"))
    };
    assert!(value("earshot_http_requests_total{class=\"2xx\"}") >= 1);
    assert!(value("earshot_http_requests_total{class=\"4xx\"}") >= 1);
    assert_eq!(value("earshot_workspaces "), 2);
    assert_eq!(
        value("earshot_sla_running "),
        1,
        "the customer waits with a clock running"
    );
    assert_eq!(value("earshot_webhook_calls_pending "), 0);
    assert!(
        text.contains("# TYPE earshot_http_requests_total counter"),
        "{text}"
    );
    assert!(
        !text.contains("acme") && !text.contains("dana"),
        "no workspace's data: {text}"
    );
}

/// What listening heard and matched no topic is listed for agents (API and page), searchable
/// by its words; an agent opens a conversation from one (API, or the page's button): it
/// goes through the pipeline like a matched post — a conversation on its network's channel,
/// understood — and opening it again finds the same conversation; a post never heard is a
/// `404` that says why, and another workspace sees none of it.
#[tokio::test]
async fn heard_posts_are_listed_and_an_agent_opens_a_conversation_from_one() {
    let app = spawn_app().await;
    let (status, topic) = app
        .create_topic(json!({"name": "Acme", "query": "acme"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{topic}");
    let post = |id: &str, text: &str| {
        json!({"channel": "x", "account": "public", "source": "listening", "external_id": id,
               "author": {"external_id": format!("u-{id}"), "handle": format!("fan{id}"), "followers": 1200},
               "text": text, "created_at": "2026-11-30T09:00:00Z", "url": format!("https://x.com/fan{id}/status/{id}")})
    };
    let (status, body) = app
        .post_messages(&json!([
            post("1", "acme is great"),
            post("2", "my new phone keeps overheating, any advice?"),
            post("3", "lovely weather today"),
        ]))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let (status, heard) = app.heard("").await;
    assert_eq!(status, StatusCode::OK, "{heard}");
    assert_eq!(heard["kept_days"], 7);
    let posts = heard["posts"].as_array().unwrap();
    assert_eq!(
        posts.len(),
        2,
        "the matched post is a conversation, not heard: {heard}"
    );
    let (_, found) = app.heard("q=OVERHEATING").await;
    let found = found["posts"].as_array().unwrap();
    assert_eq!(found.len(), 1);
    let overheating = &found[0];
    assert_eq!(overheating["external_id"], "2");
    assert_eq!(overheating["author"]["handle"], "fan2");
    assert_eq!(overheating["author"]["followers"], 1200);
    assert_eq!(overheating["url"], "https://x.com/fan2/status/2");
    let (status, bad) = app.heard("limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (_, other) = app.get_as_other("/api/v1/listening/heard").await;
    assert_eq!(
        other["posts"],
        json!([]),
        "another workspace hears none of it"
    );

    let channel_id = overheating["channel_id"].clone();
    let (status, opened) = app
        .open_heard(json!({"channel_id": channel_id, "external_id": "2"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let conversation = opened["conversation_id"].as_i64().unwrap();
    let (status, c) = app
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["conversation"]["channel_kind"], "x", "{c}");
    assert_eq!(c["conversation"]["message_count"], 1);
    assert!(
        c["messages"][0]["enrichment"]["sentiment"]["label"].is_string(),
        "understood like any customer message: {c}"
    );
    assert!(c["priority"]["score"].as_i64().unwrap() > 0, "{c}");
    // The author is a contact now; their export holds what listening heard from them.
    let contact = c["conversation"]["contact_id"].as_i64().unwrap();
    let (status, export) = app.get(&format!("/api/v1/contacts/{contact}/export")).await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["heard"][0]["external_id"], "2", "{export}");
    assert_eq!(export["heard"].as_array().unwrap().len(), 1);
    let (status, again) = app
        .open_heard(json!({"channel_id": channel_id, "external_id": "2"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["conversation_id"], conversation);
    assert_eq!(again["new"], false);
    let (status, missing) = app
        .open_heard(json!({"channel_id": channel_id, "external_id": "999"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    assert!(
        missing["message"].as_str().unwrap().contains("kept a week"),
        "{missing}"
    );
    let (status, _) = app
        .send(
            axum::http::Method::POST,
            "/api/v1/listening/conversations",
            Some(&app.other_token),
            json!({"channel_id": channel_id, "external_id": "3"})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another workspace cannot open it"
    );

    // The page: the weather post, with its link and the button; the button opens it.
    let ana = app.signed_in_person("ana@acme.test", "Ana", "agent").await;
    let page = app.listening_page(&ana, "q=weather").await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "Heard, not matched",
        "@fan3",
        "lovely weather today",
        "https://x.com/fan3/status/3",
        "Open a conversation",
    ] {
        assert!(page.body.contains(shown), "{shown} missing from the page");
    }
    assert!(
        !page.body.contains("overheating"),
        "the search narrows the list"
    );
    let csrf = csrf_of(&page.body);
    let done = app
        .open_heard_form(
            &ana,
            &format!("csrf={csrf}&channel_id={channel_id}&external_id=3"),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location.unwrap().starts_with("/c/"));
    let forged = app
        .open_heard_form(
            &ana,
            &format!("csrf=nope&channel_id={channel_id}&external_id=3"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// Emerging issues: an outage topic that usually has 2 messages at this hour of the week has
/// 25 — a critical alert with the expected and observed counts, the weeks it was judged
/// against and the most followed authors' messages first; a refund topic at its usual level
/// raises nothing; an hour without messages and another workspace have no alerts; a bad hour
/// is named.
#[tokio::test]
async fn an_hour_far_above_the_same_hour_of_past_weeks_is_an_emerging_issue() {
    let app = spawn_app().await;
    for (name, query) in [
        ("Outage", "outage OR down"),
        ("Refunds", "refund"),
        ("Payments", "pay"),
    ] {
        let (status, topic) = app
            .create_topic(json!({"name": name, "query": query}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{topic}");
    }
    let mut n = 0;
    let mut batch = Vec::new();
    let mut message = |text: &str, at: String, followers: u32| {
        n += 1;
        json!({"channel": "x", "external_id": format!("e{n}"), "text": text, "created_at": at,
               "author": {"external_id": format!("a{n}"), "handle": format!("user{n}"), "followers": followers}})
    };
    // History from 2026-11-09: each Monday at 14:00, two outage mentions and three refund ones.
    batch.push(message("hello there", "2026-11-09T09:00:00Z".into(), 1));
    for day in ["09", "16", "23"] {
        for m in 0..2 {
            batch.push(message(
                "is the app down for anyone?",
                format!("2026-11-{day}T14:{:02}:00Z", 10 + m),
                10,
            ));
        }
        for m in 0..3 {
            batch.push(message(
                "where is my refund?",
                format!("2026-11-{day}T14:{:02}:00Z", 30 + m),
                10,
            ));
        }
    }
    // Monday 30 November, 14:00–15:00: the outage.
    for m in 0..25 {
        let followers = if m == 7 { 250_000 } else { 20 + m };
        batch.push(message(
            "outage again, the app is down and I can't pay",
            format!("2026-11-30T14:{:02}:00Z", m * 2),
            followers,
        ));
    }
    for m in 0..3 {
        batch.push(message(
            "where is my refund?",
            format!("2026-11-30T14:{:02}:30Z", 10 + m),
            10,
        ));
    }
    let (status, body) = app.post_messages(&json!(batch)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let (status, r) = app.emerging("hour=2026-11-30T14:35:00Z").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["hour"], "2026-11-30T14:00:00Z", "{r}");
    let alerts = r["alerts"].as_array().unwrap();
    let outage = alerts
        .iter()
        .find(|a| a["series"]["dimension"] == "topic" && a["name"] == "Outage")
        .unwrap_or_else(|| panic!("no outage alert: {r}"));
    assert_eq!(outage["severity"], "critical", "{outage}");
    assert_eq!(outage["observed"], 25);
    assert_eq!(outage["expected"], 2.0);
    assert_eq!(outage["basis"], "same hour of the week");
    assert_eq!(
        outage["samples"],
        json!([2, 2, 2]),
        "three weeks of history"
    );
    assert!(outage["surprise"].as_f64().unwrap() > 6.0, "{outage}");
    let top = outage["top_messages"].as_array().unwrap();
    assert_eq!(top.len(), 5);
    assert_eq!(
        top[0]["followers"], 250_000,
        "the most followed author first"
    );
    assert!(
        alerts.iter().all(|a| a["name"] != "Refunds"),
        "refunds are at their usual level: {r}"
    );
    assert!(
        alerts.iter().all(|a| a["name"] != "Payments"),
        "payments were first heard in this hour: there is no usual level to rise above: {r}"
    );
    assert!(
        alerts
            .iter()
            .any(|a| a["series"]["dimension"] == "channel" && a["name"] == "x"),
        "the channel rose too, named once: {r}"
    );

    let (_, quiet) = app.emerging("hour=2026-11-30T16:00:00Z").await;
    assert_eq!(quiet["alerts"], json!([]), "{quiet}");
    let (_, other) = app
        .get_as_other("/api/v1/reports/emerging?hour=2026-11-30T14:00:00Z")
        .await;
    assert_eq!(other["alerts"], json!([]));
    let (status, bad) = app.emerging("hour=monday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["message"].as_str().unwrap().contains("`hour`"), "{bad}");
}

/// The dashboard says what is emerging now, whatever its day range: an outage topic at 12
/// messages in the last hour where it usually has 1 is listed as critical with its usual
/// level and the message of its most followed author; before, it says nothing is emerging.
#[tokio::test]
async fn the_dashboard_shows_what_is_emerging_now() {
    let app = spawn_app().await;
    let (status, topic) = app
        .create_topic(json!({"name": "Outage", "query": "outage OR down"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{topic}");
    let ana = app.signed_in_person("ana@acme.test", "Ana", "admin").await;
    let page = app.dashboard(&ana, "").await;
    assert!(
        page.body.contains("Nothing is far above its usual level"),
        "{}",
        page.body
    );

    let hour_ms = 3_600_000;
    let last = (chrono::Utc::now().timestamp_millis() / hour_ms - 1) * hour_ms;
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let week = 7 * 24 * hour_ms;
    let mut batch = vec![
        json!({"channel": "x", "external_id": "first", "text": "hello",
        "created_at": at(last - 22 * 24 * hour_ms), "author": {"external_id": "a0"}}),
    ];
    for w in 1..=3 {
        batch.push(json!({"channel": "x", "external_id": format!("h{w}"), "text": "is the app down?",
            "created_at": at(last - w * week + 600_000), "author": {"external_id": format!("h{w}")}}));
    }
    for m in 0..12 {
        batch.push(json!({"channel": "x", "external_id": format!("o{m}"),
            "text": format!("outage: the app is down again ({m})"),
            "created_at": at(last + m * 180_000),
            "author": {"external_id": format!("o{m}"), "handle": format!("fan{m}"),
                       "followers": if m == 4 { 90_000 } else { 10 }}}));
    }
    let (status, body) = app.post_messages(&json!(batch)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let page = app.dashboard(&ana, "").await;
    assert_eq!(page.status, StatusCode::OK);
    let card = page
        .body
        .split("Emerging now")
        .nth(1)
        .expect("the emerging card")
        .split("</section>")
        .next()
        .unwrap()
        .to_string();
    for shown in [
        "critical",
        "Outage",
        "12 messages from",
        "usually 1.0",
        "@fan4",
        "90000 followers",
        "outage: the app is down again (4)",
    ] {
        assert!(
            card.contains(shown),
            "{shown} missing from the card: {card}"
        );
    }
}

/// The timer worker keeps what is emerging as alerts, once per series and hour; a
/// `spike_detected` rule acts on the conversations of an alert's top messages; people
/// acknowledge and close alerts.
#[tokio::test]
async fn the_worker_raises_an_alert_once_a_spike_rule_tags_its_conversations_and_people_close_it() {
    let app = spawn_app().await;
    let (status, topic) = app
        .create_topic(json!({"name": "Outage", "query": "outage OR down"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{topic}");
    let (status, rule) = app
        .create_rule(
            json!({"name": "Outage spike", "trigger": {"event": "spike_detected"},
            "conditions": {"all": [{"field": "conversation.topics", "op": "contains", "value": "outage"}]},
            "actions": [{"type": "add_tag", "tag": "outage-spike"}]}),
        )
        .await;
    assert!(status.is_success(), "{rule}");
    let hour_ms = 3_600_000;
    let last = (chrono::Utc::now().timestamp_millis() / hour_ms - 1) * hour_ms;
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let week = 7 * 24 * hour_ms;
    let mut batch = vec![
        json!({"channel": "x", "external_id": "first", "text": "hello",
        "created_at": at(last - 22 * 24 * hour_ms), "author": {"external_id": "a0"}}),
    ];
    for w in 1..=3 {
        batch.push(json!({"channel": "x", "external_id": format!("h{w}"), "text": "is the app down?",
            "created_at": at(last - w * week + 600_000), "author": {"external_id": format!("h{w}")}}));
    }
    for m in 0..12 {
        batch.push(json!({"channel": "x", "external_id": format!("o{m}"),
            "text": format!("outage: the app is down again ({m})"),
            "created_at": at(last + m * 180_000),
            "author": {"external_id": format!("o{m}"), "followers": 10 + m}}));
    }
    let (status, body) = app.post_messages(&json!(batch)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let timers = earshot_engine::timers::Timers::new(
        app.state.store.clone(),
        app.state.pipeline.workflow.clone(),
        std::sync::Arc::new(earshot_engine::timers::Outbound::new(None)),
    );
    let now = chrono::Utc::now();
    let first = timers.pass(now).await.unwrap();
    assert!(first.alerts_raised >= 1, "{first:?}");
    // Six minutes later the worker looks again: the same hour's alerts are only updated.
    let again = timers
        .pass(now + chrono::Duration::minutes(6))
        .await
        .unwrap();
    assert_eq!(again.alerts_raised, 0, "{again:?}");
    let (status, alerts) = app.get("/api/v1/alerts?state=open").await;
    assert_eq!(status, StatusCode::OK, "{alerts}");
    let outage = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["dimension"] == "topic" && a["name"] == "Outage")
        .unwrap_or_else(|| panic!("{alerts}"))
        .clone();
    assert_eq!(
        (outage["severity"].as_str(), outage["observed"].as_i64()),
        (Some("critical"), Some(12)),
        "{outage}"
    );
    assert_eq!(outage["state"], "open");
    let top = outage["detail"]["top_messages"].as_array().unwrap();
    assert!(!top.is_empty(), "{outage}");
    // The rule tagged the conversations of the top messages.
    for m in top {
        let c = app
            .get_conversation(m["conversation_id"].as_i64().unwrap())
            .await
            .1;
        assert!(
            c["tags"]
                .as_array()
                .unwrap()
                .contains(&json!("outage-spike")),
            "{c}"
        );
    }

    let id = outage["id"].as_i64().unwrap();
    // A manager acknowledges it from the dashboard's Emerging card.
    let ana = app.signed_in_person("ana@acme.test", "Ana", "admin").await;
    let page = app.dashboard(&ana, "").await;
    let action = format!("/dashboard/alerts/{id}/acknowledge");
    assert!(page.body.contains(&action), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let done = app
        .browse(
            axum::http::Method::POST,
            &action,
            Some(&ana),
            Some(&format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let forged = app
        .browse(
            axum::http::Method::POST,
            &format!("/dashboard/alerts/{id}/close"),
            Some(&ana),
            Some("csrf=nope"),
        )
        .await;
    assert_ne!(
        forged.status,
        StatusCode::SEE_OTHER,
        "a forged form closes nothing"
    );
    let page = app.dashboard(&ana, "").await;
    assert!(
        page.body.contains("Acknowledged by ana@acme.test"),
        "{}",
        page.body
    );
    let acked = app.get("/api/v1/alerts?state=acknowledged").await.1;
    assert_eq!(acked[0]["id"], id, "{acked}");
    assert_eq!(acked[0]["acknowledged_by"], "ana@acme.test");
    // The API acknowledges (again) and closes it, as the calling token.
    let (status, other) = app
        .json(
            axum::http::Method::POST,
            &format!("/api/v1/alerts/{id}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{other}");
    assert_eq!(other["acknowledged_by"], "api token \"test\"");
    let (status, closed) = app
        .json(
            axum::http::Method::POST,
            &format!("/api/v1/alerts/{id}/close"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["state"], "closed");
    let open = app.get("/api/v1/alerts?state=open").await.1;
    assert!(
        open.as_array().unwrap().iter().all(|a| a["id"] != id),
        "{open}"
    );
    // Another workspace neither sees nor touches it; a bad state is named.
    let (status, theirs) = app.get_as_other("/api/v1/alerts").await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert!(
        theirs.as_array().unwrap().iter().all(|a| a["id"] != id),
        "{theirs}"
    );
    let (status, refused) = app
        .send(
            axum::http::Method::POST,
            &format!("/api/v1/alerts/{id}/acknowledge"),
            Some(&app.other_token),
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
    let (status, bad) = app.get("/api/v1/alerts?state=gone").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(
        bad["message"].as_str().unwrap().contains("`state`"),
        "{bad}"
    );
}
