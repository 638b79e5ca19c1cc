//! Reports: share of voice from what listening heard.

use crate::helpers::spawn_app;
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
    let ws = app
        .state
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap();
    let hash = earshot_core::auth::hash_password("a long password");
    app.state
        .store
        .create_user(ws.id, "ana@acme.test", "Ana", "admin", None, &hash)
        .await
        .unwrap();
    let ana = app.sign_in("ana@acme.test").await;
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
