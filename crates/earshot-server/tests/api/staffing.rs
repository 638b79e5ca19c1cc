//! Staffing per channel: the API's plan for a week from the weeks before it, and the page
//! that draws it.

use crate::helpers::{spawn_app, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

/// Four Mondays of email (2026-11-02 to 11-23): 30 new conversations between 10:00 and 10:30,
/// 2 at 15:00, each answered five minutes later; one agent online who takes any channel.
async fn four_weeks_of_email(app: &TestApp) {
    let mut messages = Vec::new();
    for week in 0..4 {
        let monday =
            chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap() + chrono::Duration::weeks(week);
        let at = |h: u32, m: u32| monday.and_hms_opt(h, m, 0).unwrap().and_utc();
        let mut conversation = |i: u32, start: chrono::DateTime<chrono::Utc>| {
            let id = format!("w{week}-{i}@mail.test");
            messages.push(json!({"channel": "email", "external_id": id,
                "author": {"external_id": format!("c{week}-{i}@example.com")},
                "text": "where is my parcel?", "created_at": start.to_rfc3339()}));
            messages.push(json!({"channel": "email", "external_id": format!("r-{id}"),
                "direction": "out", "author": {"external_id": "care@acme.test"},
                "text": "It left today.", "in_reply_to": id,
                "created_at": (start + chrono::Duration::minutes(5)).to_rfc3339()}));
        };
        for i in 0..30 {
            conversation(i, at(10, i));
        }
        for i in 30..32 {
            conversation(i, at(15, i - 30));
        }
    }
    let (status, body) = app.post_messages(&Value::Array(messages)).await;
    assert!(status.is_success(), "{body}");
    let (status, agent) = app
        .create_agent(json!({"name": "Ana", "email": "ana@acme.test"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
}

async fn staffing(app: &TestApp, query: &str) -> (StatusCode, Value) {
    app.send(
        Method::GET,
        &format!("/api/v1/reports/staffing?{query}"),
        Some(&app.token),
        Vec::new(),
    )
    .await
}

#[tokio::test]
async fn the_staffing_plan_gives_a_busier_half_hour_more_agents_than_scheduled() {
    let app = spawn_app().await;
    four_weeks_of_email(&app).await;
    let (status, plan) = staffing(&app, "from=2026-11-30").await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["week_start"], "2026-11-30T00:00:00Z");
    assert!(plan["scheduled_means"]
        .as_str()
        .unwrap()
        .contains("no shift schedules"));
    let channels = plan["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 1, "{plan}");
    let email = &channels[0];
    assert_eq!(email["kind"], "email");
    let intervals = email["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 336, "every half-hour of the week");
    assert_eq!(intervals[20]["start"], "2026-11-30T10:00:00Z");
    // Each reply took five minutes, one a conversation; the SLA is the out-of-the-box one.
    assert_eq!(email["handle_time"]["seconds"], 300.0);
    assert_eq!(email["handle_time"]["measured"], true);
    assert_eq!(email["sla_policy"], "standard: 24 hours");
    assert_eq!(email["answer_within_seconds"], 86_400.0);
    assert_eq!(email["concurrency"], 3, "email's default");
    assert_eq!(email["trend"], 1.0, "four equal weeks");

    let at = |i: usize| &intervals[i];
    let needed = |i: usize| at(i)["agents_needed"].as_u64().unwrap();
    // 10:00: 30 conversations of 5 minutes are 5 Erlangs: 6 slots at 85% occupancy, at three
    // conversations an agent for 70% of their time (shrinkage 30%) ⌈6 / 2.1⌉ = 3 agents.
    // 15:00: 2 conversations, 1 slot, 1 agent. A half-hour without conversations needs nobody.
    assert_eq!(at(20)["arrivals"], 30.0);
    assert_eq!(at(30)["arrivals"], 2.0);
    assert_eq!((needed(20), needed(30), needed(21)), (3, 1, 0));
    assert_eq!(email["peak_agents_needed"], 3);
    // Ana (3 slots, 2 after shrinkage) cannot carry 5 Erlangs: nobody answered in time at 10:00,
    // everybody at 15:00; the week weighs each by its conversations.
    assert_eq!(email["scheduled_agents"], 1.0);
    assert_eq!(at(20)["expected_service_level"], 0.0);
    assert!(at(30)["expected_service_level"].as_f64().unwrap() > 0.99);
    assert!(at(21)["expected_service_level"].is_null());
    let compliance = plan["expected_compliance"].as_f64().unwrap();
    assert!((compliance - 2.0 / 32.0).abs() < 1e-3, "{compliance}");

    // One conversation at a time and no shrinkage: 6 agents at the peak; with shrinkage 9.
    let (_, one) = staffing(
        &app,
        "from=2026-11-30&channel=email&concurrency=1&shrinkage=0",
    )
    .await;
    assert_eq!(
        one["channels"][0]["intervals"][20]["agents_needed"], 6,
        "{one}"
    );
    let (_, nine) = staffing(&app, "from=2026-11-30&concurrency=1").await;
    assert_eq!(nine["channels"][0]["intervals"][20]["agents_needed"], 9);

    // Another workspace plans nothing of it; a week with no history before it, nothing.
    let (status, theirs) = app
        .get_as_other("/api/v1/reports/staffing?from=2026-11-30")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs["channels"], json!([]));
    let (_, early) = staffing(&app, "from=2026-10-05").await;
    assert_eq!(early["channels"], json!([]));
    assert!(early["expected_compliance"].is_null());
}

#[tokio::test]
async fn the_staffing_plan_names_the_parameter_it_refuses() {
    let app = spawn_app().await;
    for (query, says) in [
        ("target=1.5", "`target`"),
        ("target=lots", "`target`: `lots` is not a number"),
        ("occupancy=0", "`occupancy`"),
        ("shrinkage=1", "`shrinkage`"),
        ("concurrency=0", "`concurrency`"),
        ("from=monday", "`from`: `monday` is not a date"),
        ("channel=pigeon", "`channel`: no channel `pigeon`"),
        ("shift=early", "shift"),
    ] {
        let (status, body) = staffing(&app, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["code"], "invalid_query", "{query}");
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn a_manager_opens_the_staffing_page_from_the_navigation() {
    let app = spawn_app().await;
    four_weeks_of_email(&app).await;
    let ben = app.signed_in_person("ben@acme.test", "Ben", "agent").await;
    let page = app
        .browse(Method::GET, "/staffing?from=2026-11-30", Some(&ben), None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("<a href=\"/staffing\" aria-current=\"page\">Staffing</a>"));
    assert!(page.body.contains("The week of Monday 2026-11-30"));
    assert!(
        page.body.contains("id=\"kpi-compliance\">6.2%<"),
        "2 of 32 in time (a little under 6.25%)"
    );
    assert_eq!(
        page.body.matches("role=\"img\"").count(),
        1,
        "one chart, one channel"
    );
    assert!(
        page.body.contains("1 of 336 half-hours short"),
        "only 10:00 is short"
    );
    assert!(page
        .body
        .contains("<th scope=\"row\">Mon 10:00</th><td>30.0</td><td>3</td>"));
    assert!(page.body.contains("no shift schedules"));
    // Every page's navigation links to it; a bad value is refused with its name.
    let dashboard = app.dashboard(&ben, "").await;
    assert!(dashboard.body.contains("href=\"/staffing\""));
    let bad = app
        .browse(Method::GET, "/staffing?shrinkage=2", Some(&ben), None)
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("`shrinkage`"), "{}", bad.body);
}
