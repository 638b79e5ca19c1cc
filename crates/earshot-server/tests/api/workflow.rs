//! The care workflow through the API, as a care team meets it: the example rule set routes
//! new messages, assignment respects capacity and serves the backlog, replies collide, SLA
//! clocks pause and breach, opted-out customers get no automated reply, and every change is
//! on the conversation's history.

use crate::helpers::*;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use earshot_engine::timers::Timers;
use serde_json::{json, Value};
use std::sync::Arc;

fn customer(id: &str, author: &str, text: &str, minutes_ago: i64) -> Value {
    json!({
        "channel": "x", "external_id": id, "direction": "in",
        "author": {"external_id": author, "handle": author, "display_name": format!("{author} N."), "followers": 80},
        "text": text, "created_at": (Utc::now() - Duration::minutes(minutes_ago)).to_rfc3339(),
    })
}

/// An answer's body, once its status is checked.
trait Checked {
    /// The body of an answer that succeeded (any 2xx).
    fn succeeded(self) -> Value;
    /// The body of an answer that is `200 OK`.
    fn ok(self) -> Value;
}

impl Checked for (StatusCode, Value) {
    #[track_caller]
    fn succeeded(self) -> Value {
        let (status, body) = self;
        assert!(status.is_success(), "{status} {body}");
        body
    }
    #[track_caller]
    fn ok(self) -> Value {
        let (status, body) = self;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// Stores messages and returns each one's conversation id.
async fn ingest(app: &TestApp, messages: Vec<Value>) -> Vec<i64> {
    let v = app.post_messages(&json!(messages)).await.succeeded();
    v["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|r| {
            r["conversation_id"]
                .as_i64()
                .unwrap_or_else(|| panic!("{v}"))
        })
        .collect()
}

async fn events(app: &TestApp, conversation: i64) -> Vec<Value> {
    app.conversation_events(conversation)
        .await
        .ok()
        .as_array()
        .unwrap()
        .clone()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

/// Teams 1–4 as the example rule set expects them, and the rule set.
async fn care_team(app: &TestApp) {
    for name in ["Escalations", "Billing", "Spanish desk", "Front line"] {
        app.create_team(json!({"name": name})).await.succeeded();
    }
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/care-team-rules.json"
    ))
    .unwrap();
    let rules: Vec<Value> = serde_json::from_str(&text).unwrap();
    for r in rules {
        app.create_rule(r).await.succeeded();
    }
}

fn timers(app: &TestApp) -> Timers {
    Timers::new(
        app.state.store.clone(),
        app.state.pipeline.workflow.clone(),
        Arc::new(earshot_engine::timers::Outbound::new(None)),
    )
}

#[tokio::test]
async fn rules_route_new_messages_by_capacity_and_the_backlog_is_served_on_resolve() {
    let app = spawn_app().await;
    care_team(&app).await;
    let billing = app
        .create_agent(json!({"name": "Bea", "email": "bea@acme.test", "team_id": 2, "capacity": 1}))
        .await
        .succeeded();
    let bea = billing["id"].as_i64().unwrap();
    assert_eq!(billing["capacity"], 1);
    assert_eq!(billing["availability"], "online");

    let refund = "This is the worst service ever. My order never arrived and I was charged twice, I want a refund";
    let ids = ingest(&app, vec![customer("r1", "ann", refund, 5)]).await;
    let first = ids[0];
    let c = app.get_conversation(first).await.ok();
    assert_eq!(c["conversation"]["team_id"], 2, "{c}");
    assert_eq!(c["conversation"]["assignee_id"], bea);
    assert_eq!(c["tags"], json!(["billing"]));
    let history = events(&app, first).await;
    let fired: Vec<&str> = history
        .iter()
        .filter(|e| e["kind"] == "rule_fired")
        .map(|e| e["data"]["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        fired,
        [
            "Acknowledge a complaint straight away",
            "Refunds and charges to billing"
        ],
        "{history:#?}"
    );
    // The rule's own change is recorded as the rule's, with why it fired.
    let billing_fired = history
        .iter()
        .find(|e| e["data"]["rule"] == "Refunds and charges to billing")
        .unwrap();
    assert_eq!(billing_fired["actor"]["kind"], "rule");
    assert!(billing_fired["data"]["because"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b
            .as_str()
            .unwrap()
            .contains("message.text contains \"refund\": yes")));
    let assigned: Vec<&Value> = history.iter().filter(|e| e["kind"] == "assigned").collect();
    assert_eq!(
        assigned.len(),
        2,
        "team by the rule, then agent by the desk: {history:#?}"
    );
    assert_eq!(assigned[1]["actor"]["kind"], "system");
    // The acknowledgement went out as a reply, in the thread and in the outbox.
    let outbox = app.outbox(first).await.ok();
    let reply = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "reply")
        .unwrap();
    assert!(reply["payload"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Hi ann N., we're sorry"));
    assert!(reply["payload"]["text"]
        .as_str()
        .unwrap()
        .ends_with(&format!("#{first}.")));
    assert!(c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["direction"] == "out"));

    // A second refund: Bea is full, so it waits in billing's backlog.
    let second = ingest(
        &app,
        vec![customer("r2", "bob", "I want a refund for the charge", 4)],
    )
    .await[0];
    let c2 = app.get_conversation(second).await.ok();
    assert_eq!(c2["conversation"]["team_id"], 2);
    assert_eq!(c2["conversation"]["assignee_id"], Value::Null);
    assert!(kinds(&events(&app, second).await).contains(&"backlogged"));

    // Bea resolves the first: she takes the second straight away.
    let resolved = app
        .resolve(first, json!({"agent_id": bea}))
        .await
        .succeeded();
    assert_eq!(resolved["status"], "resolved");
    let c2 = app.get_conversation(second).await.ok();
    assert_eq!(c2["conversation"]["assignee_id"], bea);
    let auto = events(&app, second).await;
    let took = auto.iter().find(|e| e["kind"] == "auto_assigned").unwrap();
    assert_eq!(took["data"]["from_backlog"], true);
    let status_change = events(&app, first).await;
    // The customer writes again: the conversation reopens (recorded, the reopen rule
    // fires) and goes back to Bea.
    let mut again = customer("r3", "ann", "it still has not arrived", 0);
    again["in_reply_to"] = json!("r1");
    assert_eq!(ingest(&app, vec![again]).await[0], first);
    let c = app.get_conversation(first).await.ok();
    assert_eq!(c["conversation"]["status"], "open");
    assert_eq!(c["conversation"]["assignee_id"], bea);
    assert!(
        c["tags"].as_array().unwrap().contains(&json!("reopened")),
        "{c}"
    );
    let reopened = events(&app, first).await;
    let by_customer = reopened
        .iter()
        .find(|e| e["kind"] == "status_changed" && e["data"]["from"] == "resolved")
        .unwrap_or_else(|| panic!("{reopened:#?}"));
    assert_eq!(by_customer["data"]["because"], "the customer wrote");
    let status_change: Vec<Value> = status_change;
    // The acknowledgement (rule 6's automated reply) answered nobody: the conversation stayed
    // new until Bea resolved it.
    let changes: Vec<(&Value, &Value)> = status_change
        .iter()
        .filter(|e| e["kind"] == "status_changed")
        .map(|e| (&e["actor"], &e["data"]["to"]))
        .collect();
    assert_eq!(
        changes,
        [(&json!({"kind": "agent", "id": bea}), &json!("resolved"))]
    );
}

#[tokio::test]
async fn an_automated_acknowledgement_leaves_the_complaint_waiting_at_the_top_of_the_queue() {
    let app = spawn_app().await;
    care_team(&app).await;
    let complaint = "This is the worst service ever. My order never arrived, nobody answers";
    let id = ingest(&app, vec![customer("c1", "cal", complaint, 3)]).await[0];
    let c = app.get_conversation(id).await.ok();
    let conversation = &c["conversation"];
    // The acknowledgement is in the thread and in the outbox...
    let out: Vec<&Value> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "out")
        .collect();
    assert_eq!(out.len(), 1, "{c}");
    assert!(out[0]["text"].as_str().unwrap().contains("sorry"), "{c}");
    // ...but the customer still waits for a person: the clock runs, nobody responded, the
    // priority is the complaint's.
    assert_eq!(conversation["status"], "new", "{c}");
    assert!(conversation["sla_due_at"].is_string(), "{c}");
    assert!(conversation["first_response_at"].is_null(), "{c}");
    assert!(conversation["waiting_since"].is_string(), "{c}");
    let priority = conversation["priority"].as_i64().unwrap();
    assert!(priority >= 50, "a complaint keeps its priority: {c}");
    // The dashboard counts no first response.
    let ws = app
        .state
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap();
    let counts = app
        .state
        .store
        .dashboard_counts(
            ws.id,
            Utc::now() - Duration::days(1),
            Utc::now() + Duration::days(1),
        )
        .await
        .unwrap();
    assert!(counts.first_response_minutes.is_empty(), "{counts:?}");
    let queued = events(&app, id).await;
    let ack = queued
        .iter()
        .find(|e| e["kind"] == "reply_queued")
        .unwrap_or_else(|| panic!("{queued:#?}"));
    assert_eq!(ack["data"]["automated"], true);
    assert_eq!(ack["data"]["counts_as_response"], false);

    // A person answering is the first response and ends the wait.
    let agent = app
        .create_agent(json!({"name": "Dee", "email": "dee@acme.test", "team_id": 4}))
        .await
        .succeeded()["id"]
        .as_i64()
        .unwrap();
    app.reply(id, json!({"agent_id": agent, "text": "So sorry, Cal. I have found your order and it ships today."})).await.succeeded();
    let c = app.get_conversation(id).await.ok();
    assert_eq!(c["conversation"]["status"], "open", "{c}");
    assert!(c["conversation"]["first_response_at"].is_string(), "{c}");
    assert!(c["conversation"]["sla_due_at"].is_null(), "{c}");
}

#[tokio::test]
async fn a_rule_whose_reply_counts_as_a_response_answers_the_customer() {
    let app = spawn_app().await;
    app.create_rule(
        json!({"name": "opening hours", "trigger": {"event": "message_received"},
               "conditions": {"field": "message.text", "op": "contains", "value": "opening hours"},
               "actions": [{"type": "reply", "counts_as_response": true,
                            "template": "We are open 9 to 5, Monday to Friday."}]}),
    )
    .await
    .succeeded();
    let id = ingest(
        &app,
        vec![customer("h1", "hal", "what are your opening hours?", 1)],
    )
    .await[0];
    let c = app.get_conversation(id).await.ok();
    assert_eq!(c["conversation"]["status"], "open", "{c}");
    assert!(c["conversation"]["first_response_at"].is_string(), "{c}");
    assert!(c["conversation"]["waiting_since"].is_null(), "{c}");
}

#[tokio::test]
async fn an_offline_agent_coming_online_takes_the_backlog_in_priority_order() {
    let app = spawn_app().await;
    app.create_team(json!({"name": "Front line"}))
        .await
        .succeeded();
    app.create_rule(
        json!({"name": "all to front line", "trigger": {"event": "message_received"},
        "conditions": {"field": "conversation.team", "op": "absent"},
        "actions": [{"type": "assign_team", "team_id": 1}]}),
    )
    .await
    .succeeded();
    let agent = app
        .create_agent(json!({"name": "Cy", "email": "cy@acme.test", "team_id": 1,
            "capacity": 1, "availability": "offline"}))
        .await
        .succeeded();
    let calm = ingest(&app, vec![customer("a", "al", "thanks, all good", 30)]).await[0];
    let angry = ingest(
        &app,
        vec![customer(
            "b",
            "bo",
            "My phone charger caught fire and burned my hand!!! This is dangerous",
            10,
        )],
    )
    .await[0];
    for id in [calm, angry] {
        let c = app.get_conversation(id).await.ok();
        assert_eq!(c["conversation"]["assignee_id"], Value::Null);
    }
    let cy = app
        .update_agent(&agent["id"], json!({"availability": "online"}))
        .await
        .succeeded();
    assert_eq!(cy["availability"], "online");
    // The safety complaint (higher priority) first, though it came later.
    let a = app.get_conversation(angry).await.ok();
    assert_eq!(a["conversation"]["assignee_id"], agent["id"], "{a}");
    let c = app.get_conversation(calm).await.ok();
    assert_eq!(c["conversation"]["assignee_id"], Value::Null);
    // More capacity: the calm one too.
    app.update_agent(&agent["id"], json!({"capacity": 2}))
        .await
        .succeeded();
    let c = app.get_conversation(calm).await.ok();
    assert_eq!(c["conversation"]["assignee_id"], agent["id"]);
}

#[tokio::test]
async fn a_reply_after_someone_elses_is_refused_unless_forced_and_meets_the_sla() {
    let app = spawn_app().await;
    let ana = app
        .create_agent(json!({"name": "Ana", "email": "ana@acme.test"}))
        .await
        .succeeded()["id"]
        .clone();
    let ben = app
        .create_agent(json!({"name": "Ben", "email": "ben@acme.test"}))
        .await
        .succeeded()["id"]
        .clone();
    let id = ingest(
        &app,
        vec![customer("q1", "cat", "how do I reset my password?", 20)],
    )
    .await[0];
    let c = app.get_conversation(id).await.ok();
    let seen = c["messages"].as_array().unwrap().last().unwrap()["id"].clone();
    assert!(c["conversation"]["sla_due_at"].is_string(), "{c}");

    // Ben answers first.
    let r = app.reply(id, json!({"agent_id": ben, "text": "Hi Cat, use the link on the sign-in page.", "last_seen_message_id": seen})).await.succeeded();
    assert_eq!(r["conversation"]["sla_due_at"], Value::Null);
    assert!(r["conversation"]["first_response_at"].is_string());
    // Ana, who loaded the conversation before Ben's reply, is stopped…
    let (status, body) = app.reply(id, json!({"agent_id": ana, "text": "Hello! Try the reset link.", "last_seen_message_id": seen})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "reply_collision");
    assert_eq!(body["message_id"], r["message_id"]);
    // …unless she insists.
    let (status, _) = app.reply(id, json!({"agent_id": ana, "text": "Hello! Try the reset link.", "last_seen_message_id": seen, "force": true})).await;
    assert_eq!(status, StatusCode::CREATED);
    // A reply needs an agent of this workspace and some text.
    let (status, body) = app.reply(id, json!({"text": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = app.reply(id, json!({"agent_id": ana, "text": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let history = events(&app, id).await;
    let answered = history
        .iter()
        .find(|e| e["kind"] == "sla_answered")
        .unwrap();
    assert_eq!(answered["data"]["met"], true);
    assert_eq!(answered["data"]["target"], "first_response");
    assert_eq!(
        kinds(&history)
            .iter()
            .filter(|k| **k == "reply_queued")
            .count(),
        2
    );

    // No platform is connected for this account: neither reply is called sent; both are
    // `not_sent`, with the reason in the outbox and on the history.
    let report = timers(&app).pass(Utc::now()).await.unwrap();
    assert_eq!((report.delivered, report.not_sent), (0, 2));
    let outbox = app.outbox(id).await.ok();
    assert!(outbox
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["status"] == "failed"
            && o["delivery"] == "not_sent"
            && o["last_error"].as_str().unwrap().contains("not connected")));
    let history = events(&app, id).await;
    assert!(!kinds(&history).contains(&"reply_sent"));
    assert_eq!(
        kinds(&history)
            .iter()
            .filter(|k| **k == "reply_not_sent")
            .count(),
        2
    );
}

#[tokio::test]
async fn snoozing_pauses_the_sla_clock_and_waking_resumes_it_with_the_time_left() {
    let app = spawn_app().await;
    let id = ingest(
        &app,
        vec![customer("s1", "dee", "my parcel is late, where is it?", 60)],
    )
    .await[0];
    let c = app.get_conversation(id).await.ok();
    let due: chrono::DateTime<Utc> = c["conversation"]["sla_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let left = due - Utc::now();
    let until = Utc::now() + Duration::hours(2);
    let s = app
        .snooze(id, json!({"until": until.to_rfc3339()}))
        .await
        .succeeded();
    assert_eq!(s["status"], "snoozed");
    assert_eq!(s["sla_due_at"], Value::Null, "the clock is paused: {s}");
    let c = app.get_conversation(id).await.ok();
    let remaining = c["sla"]["remaining_seconds"].as_i64().unwrap();
    assert!(
        (remaining - left.num_seconds()).abs() <= 2,
        "{remaining} vs {left}"
    );

    // The worker's first pass sets its cursor; the snooze ends two hours later.
    let t = timers(&app);
    t.pass(Utc::now()).await.unwrap();
    let report = t.pass(until + Duration::seconds(1)).await.unwrap();
    assert_eq!(report.woken, 1);
    let c = app.get_conversation(id).await.ok();
    assert_eq!(c["conversation"]["status"], "open");
    let due_after: chrono::DateTime<Utc> = c["conversation"]["sla_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Due = when it woke (now, in real time) + what was left.
    let expected = Utc::now() + Duration::seconds(remaining);
    assert!(
        (due_after - expected).num_seconds().abs() <= 3,
        "{due_after} vs {expected}"
    );
    let k = kinds(&events(&app, id).await).join(",");
    assert!(
        k.contains("snoozed") && k.contains("snooze_ended") && k.contains("sla_due"),
        "{k}"
    );
    // Another one, snoozed, then woken by the customer writing: the clock resumes with what
    // was left, not from the first message.
    let other = ingest(
        &app,
        vec![customer(
            "s2",
            "eli",
            "my parcel is late too, where is it?",
            120,
        )],
    )
    .await[0];
    let c = app.get_conversation(other).await.ok();
    let due: chrono::DateTime<Utc> = c["conversation"]["sla_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    app.snooze(other, json!({"until": until.to_rfc3339()}))
        .await
        .succeeded();
    let left = app.get_conversation(other).await.ok()["sla"]["remaining_seconds"]
        .as_i64()
        .unwrap();
    assert!(((due - Utc::now()).num_seconds() - left).abs() <= 2);
    let mut again = customer("s3", "eli", "hello??", 0);
    again["in_reply_to"] = json!("s2");
    ingest(&app, vec![again]).await;
    let c = app.get_conversation(other).await.ok();
    assert_eq!(c["conversation"]["status"], "open");
    assert_eq!(c["sla"]["remaining_seconds"], Value::Null, "{c}");
    let resumed: chrono::DateTime<Utc> = c["conversation"]["sla_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let expected = Utc::now() + Duration::seconds(left);
    assert!(
        (resumed - expected).num_seconds().abs() <= 3,
        "{resumed} vs {expected}"
    );
    assert!(kinds(&events(&app, other).await).contains(&"sla_resumed"));
    // A past snooze is refused.
    let (status, _) = app
        .snooze(
            id,
            json!({"until": (Utc::now() - Duration::minutes(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_breach_fires_once_rules_act_on_it_and_a_restarted_worker_misses_nothing() {
    let app = spawn_app().await;
    care_team(&app).await;
    // Waiting for 23 hours: the 24-hour first-response target falls due in an hour.
    let id = ingest(
        &app,
        vec![customer(
            "w1",
            "eve",
            "Could you tell me when the new store in Leeds opens?",
            23 * 60,
        )],
    )
    .await[0];
    let c = app.get_conversation(id).await.ok();
    let due: chrono::DateTime<Utc> = c["conversation"]["sla_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = Utc::now();
    let first = timers(&app);
    first.pass(now).await.unwrap();
    assert_eq!(
        first
            .pass(due - Duration::seconds(1))
            .await
            .unwrap()
            .breaches,
        0
    );
    // The worker stops; the due time passes while it is down; a new one starts.
    drop(first);
    let second = timers(&app);
    let report = second.pass(due + Duration::minutes(5)).await.unwrap();
    assert_eq!(report.breaches, 1);
    assert_eq!(
        second
            .pass(due + Duration::minutes(10))
            .await
            .unwrap()
            .breaches,
        0,
        "once only"
    );
    let c = app.get_conversation(id).await.ok();
    assert_eq!(c["conversation"]["priority"], 90, "the rule's priority");
    let parts = c["priority"]["parts"].as_array().unwrap();
    assert!(
        parts
            .iter()
            .any(|p| p["part"] == "sla" && p["points"] == 15),
        "the breach explained: {c}"
    );
    assert!(c["tags"]
        .as_array()
        .unwrap()
        .contains(&json!("sla-breached")));
    let history = events(&app, id).await;
    assert_eq!(
        kinds(&history)
            .iter()
            .filter(|k| **k == "sla_breach")
            .count(),
        1
    );
    let notified = app.outbox(id).await.ok();
    assert!(notified
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "notification" && o["payload"]["message"] == "SLA breached"));
}

#[tokio::test]
async fn opted_out_customers_get_no_automated_reply_and_the_skip_is_logged() {
    let app = spawn_app().await;
    care_team(&app).await;
    let id = ingest(
        &app,
        vec![customer(
            "o1",
            "fay",
            "terrible service, my order never arrived",
            10,
        )],
    )
    .await[0];
    let c = app.get_conversation(id).await.ok();
    let contact = c["contact"]["id"].as_i64().unwrap();
    assert_eq!(c["contact"]["opted_out"], false);
    let updated = app
        .update_contact(contact, json!({"opted_out": true, "tier": "gold"}))
        .await
        .succeeded();
    assert_eq!(updated["opted_out"], true);
    assert_eq!(updated["tier"], "gold");
    // A new conversation from the same customer.
    let again = ingest(
        &app,
        vec![customer(
            "o2",
            "fay",
            "still terrible service, my refund never arrived",
            1,
        )],
    )
    .await[0];
    assert_ne!(again, id);
    let history = events(&app, again).await;
    let skipped = history
        .iter()
        .find(|e| e["kind"] == "rule_skipped")
        .unwrap_or_else(|| panic!("{history:#?}"));
    assert_eq!(skipped["data"]["action"], "reply");
    assert_eq!(
        skipped["data"]["reason"],
        "the contact opted out of engagement"
    );
    let outbox = app.outbox(again).await.ok();
    assert!(
        outbox
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["kind"] != "reply"),
        "{outbox}"
    );
    // The priority counts the gold customer (explained), which already puts it above the
    // VIP rule's floor of 60, so that rule has nothing to do.
    let c = app.get_conversation(again).await.ok();
    assert!(c["conversation"]["priority"].as_i64().unwrap() >= 60, "{c}");
    assert!(
        !c["tags"].as_array().unwrap().contains(&json!("vip")),
        "{c}"
    );
    let parts = c["priority"]["parts"].as_array().unwrap();
    assert!(
        parts
            .iter()
            .any(|p| p["part"] == "customer" && p["points"] == 10),
        "{c}"
    );
    let sum: i64 = parts.iter().map(|p| p["points"].as_i64().unwrap()).sum();
    assert_eq!(sum, c["priority"]["score"].as_i64().unwrap());
}

#[tokio::test]
async fn rules_are_validated_on_save_dry_run_explains_and_stay_in_their_workspace() {
    let app = spawn_app().await;
    care_team(&app).await;
    let (status, body) = app
        .create_rule(json!({
            "name": "broken", "trigger": {"event": "message_received"},
            "conditions": {"all": [{"field": "message.sentiment", "op": "gt", "value": 1}]},
            "actions": [{"type": "assign_team", "team_id": 99}]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_rule");
    assert_eq!(body["errors"][0]["path"], "conditions.all[0].op", "{body}");
    let (status, body) = app
        .create_rule(json!({
            "name": "unknown team", "trigger": {"event": "message_received"},
            "actions": [{"type": "assign_team", "team_id": 99}]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"][0],
        json!({"path": "actions[0].team_id", "message": "team 99 does not exist"})
    );

    // Several mistakes at once: every one is reported, each with its path, references too.
    let (status, body) = app
        .create_rule(json!({
            "name": "", "trigger": {"event": "message_received"}, "position": "first",
            "conditions": {"all": [{"field": "message.text", "op": "contains"},
                                   {"field": "message.colour", "op": "eq", "value": "red"}]},
            "actions": [{"type": "assign_team", "team_id": 99},
                        {"type": "set_priority", "priority": 500},
                        {"type": "apply_sla", "policy_id": 7}]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut paths: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "actions[0].team_id",
            "actions[1].priority",
            "actions[2].policy_id",
            "conditions.all[0].value",
            "conditions.all[1].field",
            "name",
            "position"
        ],
        "{body}"
    );

    let dry = app
        .dry_run_rule(
            json!({"message": {"text": "I was charged twice, refund please", "channel": "x"},
        "contact": {"tier": "platinum"}}),
        )
        .await
        .succeeded();
    let firing: Vec<&str> = dry["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["fires"] == true)
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert!(
        firing.contains(&"Refunds and charges to billing"),
        "{dry:#}"
    );
    // The platinum customer lifts the priority past the VIP rule's floor, and the dry run
    // says why that rule does not fire.
    assert!(
        dry["priority"]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["part"] == "customer"),
        "{dry:#}"
    );
    let vip = dry["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "VIP customers never below high")
        .unwrap();
    assert_eq!(vip["fires"], false);
    assert!(
        vip["because"].as_array().unwrap().iter().any(|b| b
            .as_str()
            .unwrap()
            .starts_with("conversation.priority lt 60")),
        "{vip}"
    );
    assert!(dry["enrichment"]["sentiment"]["label"].is_string());
    // What the decide stage would write: the billing rule's team and tag, recorded as the
    // rule's firing; nothing was stored.
    let billing = dry["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["change"]["team"] == 2)
        .unwrap_or_else(|| panic!("{dry:#}"));
    assert_eq!(billing["actor"]["kind"], "rule", "{dry:#}");
    assert_eq!(billing["change"]["add_tags"], json!(["billing"]), "{dry:#}");
    assert!(billing["events"]
        .as_array()
        .unwrap()
        .contains(&json!("rule_fired")));
    let (_, stored) = app.list_conversations("").await;
    assert_eq!(stored["items"], json!([]), "a dry run stores nothing");
    assert!(dry["priority"]["score"].is_number());
    // Nothing was stored by the dry run.
    let (_, page) = app.list_conversations("").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    // Unsaved rules can be tried too, with errors by path.
    let (status, body) = app.dry_run_rule(json!({"message": {"text": "hi"},
        "rules": [{"name": "x", "trigger": {"event": "message_received"}, "actions": [{"type": "add_tag"}]}]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["errors"][0]["path"]
            .as_str()
            .unwrap()
            .starts_with("rules[0].actions[0]"),
        "{body}"
    );

    let rules = app.list_rules().await.ok();
    assert_eq!(rules.as_array().unwrap().len(), 13);
    let id = rules[0]["id"].as_i64().unwrap();
    let (_, other) = app.get_as_other("/api/v1/rules").await;
    assert_eq!(other, json!([]));
    let (status, _) = app.get_as_other(&format!("/api/v1/rules/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Update (disable) and delete.
    let mut r = rules[0].clone();
    for k in ["id", "created_at", "updated_at"] {
        r.as_object_mut().unwrap().remove(k);
    }
    r["enabled"] = json!(false);
    let (status, updated) = app.update_rule(id, r).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["enabled"], false);
    let (status, _) = app.delete_rule(id).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.list_rules().await.ok().as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn webhooks_are_signed_posted_and_retried_until_the_receiver_accepts() {
    use axum::routing::post as route_post;
    use std::sync::Mutex;
    type Seen = Arc<Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;
    let seen: Seen = Arc::default();
    let receiver = {
        let seen = seen.clone();
        axum::Router::new().route(
            "/hook",
            route_post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let seen = seen.clone();
                    async move {
                        let mut s = seen.lock().unwrap();
                        s.push((headers, body.to_vec()));
                        // The first call fails, as a receiver that is briefly down would.
                        if s.len() == 1 {
                            StatusCode::SERVICE_UNAVAILABLE
                        } else {
                            StatusCode::NO_CONTENT
                        }
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let app = spawn_app().await;
    app.create_rule(
        json!({"name": "tell the CRM", "trigger": {"event": "message_received"},
        "conditions": {"field": "message.text", "op": "contains", "value": "cancel"},
        "actions": [{"type": "webhook", "url": format!("http://{addr}/hook")}]}),
    )
    .await
    .succeeded();
    let id = ingest(
        &app,
        vec![customer("k1", "gus", "I want to cancel my subscription", 1)],
    )
    .await[0];
    let t = Timers::new(
        app.state.store.clone(),
        app.state.pipeline.workflow.clone(),
        // The receiver is on loopback, which only an admin's allowance reaches.
        Arc::new(earshot_engine::timers::Outbound::allowing(
            Some("s3cret".into()),
            earshot_channels::guard::Allowed::parse("127.0.0.1"),
        )),
    );
    let now = Utc::now() + Duration::seconds(1);
    let first = t.pass(now).await.unwrap();
    assert_eq!((first.delivered, first.retried), (0, 1));
    let outbox = app.outbox(id).await.ok();
    assert_eq!(outbox[0]["status"], "queued");
    assert!(
        outbox[0]["last_error"].as_str().unwrap().contains("503"),
        "{outbox}"
    );
    // Not before its retry time (one minute later)…
    assert_eq!(
        t.pass(now + Duration::seconds(30)).await.unwrap().delivered,
        0
    );
    // …then delivered.
    assert_eq!(
        t.pass(now + Duration::minutes(2)).await.unwrap().delivered,
        1
    );
    let outbox = app.outbox(id).await.ok();
    assert_eq!(
        (outbox[0]["status"].as_str(), outbox[0]["attempts"].as_i64()),
        (Some("sent"), Some(2))
    );

    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    let (headers, body) = &calls[1];
    let sig = headers["x-earshot-signature"].to_str().unwrap();
    let t_part: i64 = sig
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("t=")
        .parse()
        .unwrap();
    assert_eq!(
        sig,
        earshot_engine::timers::signature("s3cret", t_part, body),
        "the receiver can verify it"
    );
    assert_ne!(
        sig,
        earshot_engine::timers::signature("wrong", t_part, body)
    );
    let payload: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["event"], "rule_fired");
    assert_eq!(payload["conversation_id"], id);
    assert_eq!(
        payload["contact"]["opted_out"], false,
        "the receiver learns the customer's choice: {payload}"
    );
    assert_eq!(payload["attempt"], 2);
    assert!(payload.get("url").is_none());
}

/// A rule's webhook never reaches into the network Earshot runs in: a receiver on loopback,
/// the cloud metadata address and a name that resolves to loopback are each refused for good
/// (`failed`, with the reason and how an admin allows a host), and the receiver hears
/// nothing; a redirect is not followed.
#[tokio::test]
async fn webhooks_to_loopback_metadata_or_a_redirect_are_refused() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = Arc::new(AtomicUsize::new(0));
    let receiver = {
        let hits = hits.clone();
        axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(move || {
                    hits.fetch_add(1, Ordering::SeqCst);
                    async { StatusCode::NO_CONTENT }
                }),
            )
            .route(
                "/moved",
                axum::routing::post(|| async {
                    (
                        StatusCode::FOUND,
                        [(axum::http::header::LOCATION, "http://169.254.169.254/")],
                    )
                }),
            )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let app = spawn_app().await;
    let port = addr.port();
    for (n, url) in [
        format!("http://127.0.0.1:{port}/hook"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        format!("http://localhost:{port}/hook"),
    ]
    .iter()
    .enumerate()
    {
        app.create_rule(
            json!({"name": format!("hook {n}"), "trigger": {"event": "message_received"},
            "actions": [{"type": "webhook", "url": url}]}),
        )
        .await
        .succeeded();
    }
    let id = ingest(&app, vec![customer("g1", "gus", "hello there", 1)]).await[0];
    let t = Timers::new(
        app.state.store.clone(),
        app.state.pipeline.workflow.clone(),
        Arc::new(earshot_engine::timers::Outbound::new(None)),
    );
    t.pass(Utc::now() + Duration::seconds(1)).await.unwrap();
    let outbox = app.outbox(id).await.ok();
    let items = outbox.as_array().unwrap();
    assert_eq!(items.len(), 3, "{outbox}");
    for item in items {
        assert_eq!(item["status"], "failed", "{item}");
        let error = item["last_error"].as_str().unwrap();
        assert!(error.starts_with("refused:"), "{error}");
        assert!(error.contains("EARSHOT_WEBHOOK_ALLOWED_HOSTS"), "{error}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing reached the receiver"
    );

    // Allowed on loopback, a redirect to the metadata address is still not followed.
    let app = spawn_app().await;
    app.create_rule(
        json!({"name": "moved", "trigger": {"event": "message_received"},
        "actions": [{"type": "webhook", "url": format!("http://127.0.0.1:{port}/moved")}]}),
    )
    .await
    .succeeded();
    let id = ingest(&app, vec![customer("g2", "gus", "hello again", 1)]).await[0];
    let t = Timers::new(
        app.state.store.clone(),
        app.state.pipeline.workflow.clone(),
        Arc::new(earshot_engine::timers::Outbound::allowing(
            None,
            earshot_channels::guard::Allowed::parse("127.0.0.1"),
        )),
    );
    t.pass(Utc::now() + Duration::seconds(1)).await.unwrap();
    let outbox = app.outbox(id).await.ok();
    assert_eq!(outbox[0]["status"], "failed", "{outbox}");
    assert!(
        outbox[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("does not follow redirects"),
        "{outbox}"
    );
}

#[tokio::test]
async fn time_based_rules_fire_once_when_a_conversation_crosses_their_line() {
    let app = spawn_app().await;
    care_team(&app).await;
    app.create_rule(
        json!({"name": "quiet for an hour", "trigger": {"event": "idle", "minutes": 60},
        "actions": [{"type": "add_tag", "tag": "idle"}]}),
    )
    .await
    .succeeded();
    // Waiting 3 h 50 min: the "four hours unanswered" rule is due in 10 minutes; idle for
    // an hour already happened 2 h 50 min ago, before the worker's first pass.
    let waiting = ingest(
        &app,
        vec![customer(
            "t1",
            "hal",
            "Could you tell me when the new store in Leeds opens?",
            230,
        )],
    )
    .await[0];
    // Quiet for 50 minutes: idle in 10.
    let quiet = ingest(
        &app,
        vec![customer(
            "t2",
            "ida",
            "Could you tell me when the new store in York opens?",
            50,
        )],
    )
    .await[0];
    let c = app.get_conversation(waiting).await.ok();
    assert_eq!(
        c["conversation"]["team_id"], 4,
        "the front line has it first: {c}"
    );
    let t = timers(&app);
    let now = Utc::now();
    t.pass(now).await.unwrap();
    let report = t.pass(now + Duration::minutes(15)).await.unwrap();
    assert_eq!(report.timed, 2, "{report:?}");
    let c = app.get_conversation(waiting).await.ok();
    assert_eq!(c["conversation"]["team_id"], 1, "moved to escalations: {c}");
    let history = events(&app, waiting).await;
    assert!(history.iter().any(
        |e| e["kind"] == "note" && e["data"]["text"] == "Moved after 4 hours without an answer"
    ));
    let q = app.get_conversation(quiet).await.ok();
    assert_eq!(q["tags"], json!(["idle"]));
    // Once only.
    assert_eq!(t.pass(now + Duration::minutes(30)).await.unwrap().timed, 0);
    // An answered conversation is not unanswered any more (its four hours would end at
    // minute 40, inside the next pass).
    let ana = app
        .create_agent(json!({"name": "Ana", "email": "ana@acme.test"}))
        .await
        .succeeded()["id"]
        .clone();
    let answered = ingest(
        &app,
        vec![customer(
            "t3",
            "jo",
            "Could you tell me when the new store in Hull opens?",
            200,
        )],
    )
    .await[0];
    app.reply(answered, json!({"agent_id": ana, "text": "Next Monday!"}))
        .await
        .succeeded();
    let report = t.pass(now + Duration::minutes(45)).await.unwrap();
    assert_eq!(report.timed, 0, "{report:?}");
}

#[tokio::test]
async fn a_rule_applies_an_sla_policy_on_a_business_calendar() {
    let app = spawn_app().await;
    let draft = json!({"name": "Berlin office hours", "first_response_minutes": 240, "warn_at": 0.5,
        "resolution_minutes": 960,
        "calendar": {"time_zone": "Europe/Berlin",
                     "week": {"mon": [["09:00", "12:30"], ["13:30", "17:00"]], "tue": [["09:00", "17:00"]],
                              "wed": [["09:00", "17:00"]], "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]]},
                     "holidays": ["2026-12-24", "2026-12-25"]}});
    let (status, body) = app
        .create_sla_policy(json!({"name": "bad", "first_response_minutes": 60,
            "calendar": {"time_zone": "Mars/Olympus", "week": {"mon": [["09:00", "17:00"]]}}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"].as_str().unwrap().contains("Mars/Olympus"),
        "{body}"
    );
    let policy = app.create_sla_policy(draft.clone()).await.succeeded();
    let policy_id = policy["id"].as_i64().unwrap();
    app.create_rule(
        json!({"name": "B2B invoices on office hours", "trigger": {"event": "message_received"},
        "conditions": {"field": "message.text", "op": "contains", "value": "invoice"},
        "actions": [{"type": "apply_sla", "policy_id": policy_id}]}),
    )
    .await
    .succeeded();
    let (status, body) = app
        .create_rule(
            json!({"name": "x", "trigger": {"event": "message_received"},
        "actions": [{"type": "apply_sla", "policy_id": policy_id + 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let id = ingest(
        &app,
        vec![customer(
            "i1",
            "kim",
            "Where is the invoice for order 1187?",
            3,
        )],
    )
    .await[0];
    let c = app.get_conversation(id).await.ok();
    assert_eq!(c["sla"]["policy_id"], policy_id, "{c}");
    let waiting: chrono::DateTime<Utc> = c["conversation"]["waiting_since"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let compiled: earshot_core::sla::PolicyDraft = serde_json::from_value(draft).unwrap();
    let compiled = compiled.compile().unwrap();
    let expected = compiled.response_due(waiting, false).unwrap();
    let due: chrono::DateTime<Utc> = c["conversation"]["sla_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        due.timestamp_millis(),
        expected.timestamp_millis(),
        "four business hours in Berlin"
    );
    let history = events(&app, id).await;
    assert!(history
        .iter()
        .any(|e| e["kind"] == "sla_policy" && e["data"]["policy_id"] == policy_id));
    // The warning is due at half the target, on the same calendar.
    let warn = compiled.warning_due(waiting, false).unwrap();
    let t = timers(&app);
    t.pass(warn - Duration::seconds(1)).await.unwrap();
    assert_eq!(
        t.pass(warn + Duration::seconds(1)).await.unwrap().warnings,
        1
    );
    // The customer writes again: the due time still follows the policy, not the 24 hours.
    let mut again = customer("i2", "kim", "any news on that invoice?", 1);
    again["in_reply_to"] = json!("i1");
    ingest(&app, vec![again]).await;
    let c = app.get_conversation(id).await.ok();
    let due: chrono::DateTime<Utc> = c["conversation"]["sla_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due.timestamp_millis(), expected.timestamp_millis());
    // The resolution target (two business days of 8 hours) breaches once, as such.
    let first: chrono::DateTime<Utc> = c["conversation"]["first_message_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let resolution = compiled
        .calendar
        .add(first, Duration::minutes(960))
        .unwrap();
    assert!(
        t.pass(resolution - Duration::seconds(1))
            .await
            .unwrap()
            .breaches
            <= 1
    );
    let before = kinds(&events(&app, id).await)
        .iter()
        .filter(|k| **k == "sla_breach")
        .count();
    t.pass(resolution + Duration::seconds(1)).await.unwrap();
    let history = events(&app, id).await;
    let resolution_breaches: Vec<&Value> = history
        .iter()
        .filter(|e| e["kind"] == "sla_breach" && e["data"]["target"] == "resolution")
        .collect();
    assert_eq!(resolution_breaches.len(), 1, "{history:#?}");
    assert_eq!(
        kinds(&history)
            .iter()
            .filter(|k| **k == "sla_breach")
            .count(),
        before + 1
    );
}
