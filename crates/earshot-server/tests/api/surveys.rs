//! Satisfaction surveys as a care team and its customers meet them: asked once after a
//! resolution on the customer's channel, never to someone who declined surveys, the answer
//! read from the reply with its comment's sentiment, and what the report counts.

use crate::helpers::*;
use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use earshot_engine::timers::Timers;
use serde_json::{json, Value};
use std::sync::Arc;

fn dm(id: &str, author: &str, text: &str) -> Value {
    json!({
        "channel": "whatsapp", "external_id": id, "direction": "in", "visibility": "private",
        "author": {"external_id": author, "display_name": format!("{author} N.")},
        "text": text, "created_at": Utc::now().to_rfc3339(),
    })
}

/// Stores messages; each one's conversation.
async fn ingest(app: &TestApp, messages: Vec<Value>) -> Vec<i64> {
    let (s, v) = app.post_messages(&json!(messages)).await;
    assert!(s.is_success(), "{s} {v}");
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["conversation_id"]
                .as_i64()
                .unwrap_or_else(|| panic!("{v}"))
        })
        .collect()
}

fn timers(app: &TestApp) -> Timers {
    Timers::new(
        app.state.store.clone(),
        app.state.pipeline.workflow.clone(),
        Arc::new(earshot_engine::timers::Outbound::new(None)),
    )
}

async fn survey_of(app: &TestApp, conversation: i64) -> Value {
    let (s, v) = app
        .get(&format!("/api/v1/surveys?conversation={conversation}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .first()
        .cloned()
        .unwrap_or(Value::Null)
}

async fn resolve(app: &TestApp, conversation: i64) {
    let (s, v) = app.resolve(conversation, json!({})).await;
    assert!(s.is_success(), "{s} {v}");
}

async fn status(app: &TestApp, conversation: i64) -> String {
    let c = app.get_conversation(conversation).await.1;
    c["conversation"]["status"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_csat_survey_goes_once_after_resolution_reads_a_4_and_never_reaches_who_declined() {
    let app = spawn_app().await;
    let (s, on) = app
        .json(
            Method::PUT,
            "/api/v1/surveys/settings",
            json!({"scale": "csat", "delay_minutes": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{on}");
    assert_eq!(on["enabled"], true);
    assert!(on["question"].as_str().unwrap().contains("1 (very"), "{on}");
    let (s, topic) = app
        .create_topic(json!({"name": "Parcels", "query": "parcel"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{topic}");

    let ids = ingest(
        &app,
        vec![
            dm("wamid.a1", "447700900001", "my parcel is late"),
            dm("wamid.b1", "447700900002", "where is my refund"),
            dm("wamid.c1", "447700900003", "can I change my address?"),
        ],
    )
    .await;
    let (ann, ben, cat) = (ids[0], ids[1], ids[2]);
    // Ben declines surveys on his preference page (he keeps updates).
    let contact = app.get_conversation(ben).await.1["conversation"]["contact_id"]
        .as_i64()
        .unwrap();
    let (_, link) = app.preference_link(contact, json!({})).await;
    let (s, saved) = app
        .save_preferences(
            link["url"].as_str().unwrap(),
            "level=co_creation&updates=yes",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{saved}");

    for c in [ann, ben, cat] {
        resolve(&app, c).await;
    }
    let t = timers(&app);
    let report = t.pass(Utc::now() + Duration::seconds(1)).await.unwrap();
    assert_eq!(
        (report.surveys_sent, report.surveys_not_sent),
        (2, 1),
        "{report:?}"
    );

    // Ann's question is an automated message of her conversation, on WhatsApp, and its
    // delivery says what the channel answered (no connected account here: not sent).
    let a = survey_of(&app, ann).await;
    assert_eq!(a["state"], "sent", "{a}");
    assert_eq!(a["scale"], "csat");
    let question = a["message_id"].as_i64().unwrap();
    let c = app.get_conversation(ann).await.1;
    let asked = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == question)
        .unwrap_or_else(|| panic!("{c}"));
    assert_eq!(asked["direction"], "out");
    assert!(
        asked["text"].as_str().unwrap().contains("How satisfied"),
        "{asked}"
    );
    assert_eq!(a["delivery"], "failed", "{a}");
    assert_eq!(
        status(&app, ann).await,
        "resolved",
        "asking reopens nothing"
    );
    let history = app.conversation_events(ann).await.1;
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "survey_sent"),
        "{history}"
    );

    // Ben is never asked, and the survey says why.
    let b = survey_of(&app, ben).await;
    assert_eq!(b["state"], "not_sent", "{b}");
    assert_eq!(b["reason"], "the customer declined surveys");
    assert!(b["message_id"].is_null());
    let outbox = app.outbox(ben).await.1;
    assert!(outbox.as_array().unwrap().is_empty(), "{outbox}");

    // Ann answers "4" with a comment: recorded as 4, the comment read by understanding, and
    // the message left for a person (it says something).
    let answer = ingest(
        &app,
        vec![dm(
            "wamid.a2",
            "447700900001",
            "4 - the agent was quick and friendly, thank you so much!",
        )],
    )
    .await[0];
    let a = survey_of(&app, ann).await;
    assert_eq!(a["state"], "answered", "{a}");
    assert_eq!(a["score"], 4);
    assert_eq!(
        a["comment"],
        "the agent was quick and friendly, thank you so much!"
    );
    assert_eq!(a["sentiment"], "positive", "{a}");
    assert_ne!(status(&app, answer).await, "resolved");
    let history = app.conversation_events(ann).await.1;
    let answered = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "survey_answered")
        .unwrap_or_else(|| panic!("{history}"));
    assert_eq!(answered["data"]["score"], 4);

    // Cat answers with a bare "5": recorded, and nothing else happens — her conversation
    // stays resolved, no rule or person is asked to answer a score.
    let five = ingest(&app, vec![dm("wamid.c2", "447700900003", "5")]).await[0];
    let c = survey_of(&app, cat).await;
    assert_eq!(
        (c["state"].as_str(), c["score"].as_i64()),
        (Some("answered"), Some(5))
    );
    assert!(c["comment"].is_null() && c["sentiment"].is_null(), "{c}");
    assert_eq!(status(&app, five).await, "resolved");

    // Once: resolving Ann's conversations again, and further passes, ask nothing more.
    resolve(&app, answer).await;
    let again = t.pass(Utc::now() + Duration::minutes(5)).await.unwrap();
    assert_eq!(
        (again.surveys_sent, again.surveys_not_sent),
        (0, 0),
        "{again:?}"
    );
    let all = app.get("/api/v1/surveys").await.1;
    assert_eq!(all.as_array().unwrap().len(), 3, "{all}");

    // Her export holds the survey with her answer.
    let contact = app.get_conversation(ann).await.1["conversation"]["contact_id"]
        .as_i64()
        .unwrap();
    let export = app.export_contact(contact).await.1;
    let surveyed = export["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["conversation"]["id"] == ann)
        .unwrap_or_else(|| panic!("{export}"));
    assert_eq!(surveyed["survey"]["score"], 4, "{surveyed}");

    // The report counts what happened.
    let (s, r) = app.get("/api/v1/reports/satisfaction").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let o = &r["scales"]["csat"]["overall"];
    assert_eq!(o["surveys"], 3, "{r}");
    assert_eq!(
        (o["sent"].as_i64(), o["not_sent"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(o["answered"], 2);
    assert_eq!(o["response_rate"], 1.0);
    assert_eq!(o["average"], 4.5);
    assert_eq!(o["score"], 1.0, "both answers are 4 or 5");
    assert_eq!(r["scales"]["csat"]["channels"].as_array().unwrap().len(), 1);
    // Per topic: only Ann's conversation was about parcels.
    let topics = r["scales"]["csat"]["topics"].as_array().unwrap();
    assert_eq!(topics.len(), 1, "{r}");
    assert_eq!(topics[0]["name"], "Parcels");
    let p = &topics[0]["summary"];
    assert_eq!(
        (p["surveys"].as_i64(), p["answered"].as_i64()),
        (Some(1), Some(1)),
        "{p}"
    );
    assert_eq!(p["average"], 4.0);
}

#[tokio::test]
async fn a_survey_waits_its_delay_and_a_reopened_conversation_is_asked_after_its_next_resolution() {
    let app = spawn_app().await;
    let (s, v) = app
        .json(
            Method::PUT,
            "/api/v1/surveys/settings",
            json!({"scale": "nps", "delay_minutes": 60, "question": "Would you recommend us? 0-10"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = ingest(
        &app,
        vec![dm("wamid.d1", "447700900004", "hi, is my order shipped?")],
    )
    .await[0];
    resolve(&app, id).await;
    let t = timers(&app);
    // Not yet due.
    let r = t.pass(Utc::now() + Duration::minutes(30)).await.unwrap();
    assert_eq!(r.surveys_sent, 0, "{r:?}");
    // An agent reopens it (there was more to do): the question waits.
    let (s, v) = app.set_status(id, json!({"status": "open"})).await;
    assert!(s.is_success(), "{s} {v}");
    let r = t.pass(Utc::now() + Duration::minutes(61)).await.unwrap();
    assert_eq!(r.surveys_sent, 0, "{r:?}");
    let s = survey_of(&app, id).await;
    assert_eq!(s["state"], "scheduled", "{s}");
    assert!(
        s["due_at"].is_null(),
        "it waits for the next resolution: {s}"
    );
    // Resolved again: asked an hour after that, once.
    resolve(&app, id).await;
    let r = t.pass(Utc::now() + Duration::minutes(61)).await.unwrap();
    assert_eq!(r.surveys_sent, 1, "{r:?}");
    // An NPS answer; a number that starts a sentence is not one.
    ingest(
        &app,
        vec![dm(
            "wamid.d3",
            "447700900004",
            "10 minutes ago I got it, thanks",
        )],
    )
    .await;
    assert_eq!(survey_of(&app, id).await["state"], "sent");
    ingest(&app, vec![dm("wamid.d4", "447700900004", "9")]).await;
    let s = survey_of(&app, id).await;
    assert_eq!(
        (s["state"].as_str(), s["score"].as_i64()),
        (Some("answered"), Some(9))
    );

    // Settings are checked and name what is wrong; turning surveys off is said.
    let (s, v) = app
        .json(
            Method::PUT,
            "/api/v1/surveys/settings",
            json!({"scale": "ces"}),
        )
        .await;
    assert!(s.is_client_error(), "{s} {v}");
    assert!(v.to_string().contains("scale"), "{v}");
    let (s, v) = app
        .json(
            Method::PUT,
            "/api/v1/surveys/settings",
            json!({"scale": "csat", "delay_minutes": 100000}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("delay_minutes"), "{v}");
    let (s, _) = app.delete("/api/v1/surveys/settings").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/surveys/settings").await.1["enabled"],
        false
    );
}

#[tokio::test]
async fn an_admin_turns_surveys_on_from_settings_and_a_bad_delay_is_named() {
    let app = spawn_app().await;
    let ana = app.signed_in_person("ana@acme.test", "Ana", "admin").await;
    let page = app
        .browse(Method::GET, "/settings/surveys", Some(&ana), None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Surveys are off"), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let saved = app
        .browse(
            Method::POST,
            "/settings/surveys",
            Some(&ana),
            Some(&format!(
                "csrf={csrf}&scale=csat&delay_minutes=15&channels=whatsapp&channels=email&question="
            )),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let on = app.get("/api/v1/surveys/settings").await.1;
    assert_eq!(on["scale"], "csat", "{on}");
    assert_eq!(on["delay_minutes"], 15);
    assert_eq!(on["channels"], json!(["whatsapp", "email"]));
    assert!(
        on["question"].as_str().unwrap().contains("How satisfied"),
        "{on}"
    );
    let page = app
        .browse(Method::GET, "/settings/surveys", Some(&ana), None)
        .await;
    assert!(
        page.body.contains("Surveys are on: CSAT, asked 15 minutes"),
        "{}",
        page.body
    );

    let refused = app
        .browse(
            Method::POST,
            "/settings/surveys",
            Some(&ana),
            Some(&format!("csrf={csrf}&scale=nps&delay_minutes=soon")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("`soon` is not a whole number"),
        "{}",
        refused.body
    );
    assert_eq!(
        app.get("/api/v1/surveys/settings").await.1["scale"],
        "csat",
        "nothing changed"
    );

    // Agents cannot change it.
    let joe = app.signed_in_person("joe@acme.test", "Joe", "agent").await;
    let r = app
        .browse(Method::GET, "/settings/surveys", Some(&joe), None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// The agents report reads each agent's own actions: replies with the customer's wait,
/// resolutions, a reopening, and the CSAT of what they resolved; a team is its agents.
#[tokio::test]
async fn the_agents_report_counts_each_agents_replies_resolutions_reopenings_and_csat() {
    let app = spawn_app().await;
    let (s, team) = app.create_team(json!({"name": "Care"})).await;
    assert!(s.is_success(), "{team}");
    let team = team["id"].as_i64().unwrap();
    let agent = |name: &'static str| {
        let app = &app;
        async move {
            let (s, a) = app
                .create_agent(json!({"name": name, "email": format!("{}@acme.test", name.to_lowercase()), "team_id": team}))
                .await;
            assert!(s.is_success(), "{a}");
            a["id"].as_i64().unwrap()
        }
    };
    let ana = agent("Ana").await;
    let ben = agent("Ben").await;
    app.json(
        Method::PUT,
        "/api/v1/surveys/settings",
        json!({"scale": "csat", "delay_minutes": 0}),
    )
    .await;
    let ids = ingest(
        &app,
        vec![
            dm("wamid.r1", "447700900011", "my card was charged twice"),
            dm("wamid.r2", "447700900012", "how do I close my account?"),
        ],
    )
    .await;
    for (c, a, text) in [
        (ids[0], ana, "So sorry, refunding the second charge now."),
        (ids[1], ben, "You can close it under Settings, Account."),
    ] {
        let (s, v) = app.reply(c, json!({"agent_id": a, "text": text})).await;
        assert!(s.is_success(), "{s} {v}");
    }
    let (s, v) = app.resolve(ids[0], json!({"agent_id": ana})).await;
    assert!(s.is_success(), "{v}");
    let (s, v) = app.resolve(ids[1], json!({"agent_id": ben})).await;
    assert!(s.is_success(), "{v}");
    // Ben's customer was not done: reopened by an agent.
    let (s, v) = app
        .set_status(ids[1], json!({"status": "open", "agent_id": ben}))
        .await;
    assert!(s.is_success(), "{v}");
    timers(&app)
        .pass(Utc::now() + Duration::seconds(1))
        .await
        .unwrap();
    ingest(&app, vec![dm("wamid.r3", "447700900011", "5")]).await;

    let (s, r) = app.get("/api/v1/reports/agents").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let of = |id: i64| {
        r["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["agent_id"] == id)
            .unwrap_or_else(|| panic!("{r}"))
            .clone()
    };
    let a = of(ana);
    let w = &a["work"];
    assert_eq!(
        (w["handled"].as_i64(), w["replies"].as_i64()),
        (Some(1), Some(1)),
        "{a}"
    );
    assert_eq!(w["first_response"]["count"], 1, "the wait is recorded: {a}");
    assert!(
        w["first_response"]["median_seconds"].as_i64().is_some(),
        "{a}"
    );
    assert_eq!(
        (w["resolved"].as_i64(), w["reopen_rate"].as_f64()),
        (Some(1), Some(0.0))
    );
    assert!(w["handle_total_seconds"].as_i64().unwrap() >= 60, "{a}");
    assert_eq!(a["satisfaction"]["summary"]["average"], 5.0, "{a}");
    let b = of(ben)["work"].clone();
    assert_eq!(
        (b["resolved"].as_i64(), b["reopened"].as_i64()),
        (Some(1), Some(1)),
        "{b}"
    );
    assert_eq!(b["reopen_rate"], 1.0);
    let t = &r["teams"][0];
    assert_eq!(
        (t["name"].as_str(), t["work"]["handled"].as_i64()),
        (Some("Care"), Some(2)),
        "{t}"
    );
    assert_eq!(t["work"]["replies"], 2);

    // The dashboard shows the same: satisfaction (Ben's reopened conversation is not asked
    // yet), and each agent's work.
    let boss = app
        .signed_in_person("boss@acme.test", "Boss", "admin")
        .await;
    let page = app.dashboard(&boss, "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Agents&#39; work") || page.body.contains("Agents' work"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("CSAT (1 answered of 1 asked, mean 5.0)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td>Ana</td>"), "{}", page.body);
}
