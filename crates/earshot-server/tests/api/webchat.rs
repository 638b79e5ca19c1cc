//! The web chat widget's endpoints as a browser on the brand's site uses them: a session
//! for the visitor, their messages kept before `202` and stored once however often they are
//! resent, the agent's reply shown in the visitor's event stream only once it was released
//! (and marked delivered when an open widget received it), and nothing for a page whose
//! origin the channel does not allow.

use crate::channels::{conversation_of, reply, timers};
use crate::helpers::{spawn_app, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;

const SHOP: &str = "https://shop.example.com";

async fn connect(app: &TestApp) -> i64 {
    let (s, ch) = app
        .create_channel(json!({"kind": "web_chat", "name": "Site chat",
            "settings": {"allowed_origins": "https://shop.example.com, http://localhost:8080",
                         "greeting": "Hello from Acme!"}}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ch}");
    ch["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_visitor_chats_from_an_allowed_site_and_sees_the_agents_reply() {
    let app = spawn_app().await;
    // Settings are checked: origins only, each normalized.
    let (s, e) = app
        .create_channel(json!({"kind": "web_chat", "name": "Site chat",
                   "settings": {"allowed_origins": "https://shop.example.com/contact"}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e["message"].as_str().unwrap().contains("origin only"),
        "{e}"
    );
    let channel = connect(&app).await;
    let (_, view) = app.get_channel(channel).await;
    assert!(view["embed"]
        .as_str()
        .unwrap()
        .contains(&format!(r#"/widget.js" data-channel="{channel}""#)));
    assert!(view.get("webhook_url").is_none(), "{view}");
    let (s, script) = app.widget_script().await;
    assert_eq!(s, StatusCode::OK);
    assert!(script.contains("/chat/"));

    // Nobody is online yet (no agent): the widget asks for an email.
    let (s, cors, session) = app.chat_session(channel, Some(SHOP), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{session}");
    assert_eq!(cors.as_deref(), Some(SHOP));
    assert_eq!(session["greeting"], "Hello from Acme!");
    assert_eq!(session["ask_email"], true);
    let visitor = session["visitor"].as_str().unwrap().to_string();
    assert_eq!(visitor.len(), 32);
    // A browser that kept its identity keeps it.
    let (_, _, again) = app
        .chat_session(channel, Some(SHOP), json!({"visitor": visitor}))
        .await;
    assert_eq!(again["visitor"], visitor.as_str());

    // Every problem with a message is named; nothing is kept.
    let (s, _, e) = app
        .chat_message(
            channel,
            Some(SHOP),
            json!({"visitor": "guess", "id": "m1", "text": " ", "email": "nope"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let paths: Vec<&str> = e["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["visitor", "text", "email"]);

    // The message is kept before 202; a resend of the same id stores one message.
    let msg = json!({"visitor": visitor, "id": "m1", "text": "Do you ship to Norway?",
                     "name": "Jo", "email": "jo@example.com"});
    for _ in 0..2 {
        let (s, _, r) = app.chat_message(channel, Some(SHOP), msg.clone()).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    }
    let drained = app.state.webhooks.drain().await.unwrap();
    assert_eq!(drained.calls, 2);
    let id = conversation_of(&app, &format!("{visitor}:m1")).await;
    let (_, full) = app.get_conversation(id).await;
    assert_eq!(full["messages"].as_array().unwrap().len(), 1, "{full}");
    assert_eq!(full["conversation"]["channel_kind"], "web_chat", "{full}");
    assert!(full.to_string().contains("jo@example.com"), "{full}");

    // The agent answers: the widget shows it only once it is released, then marks it
    // delivered.
    reply(&app, id, "Yes, in 3 to 5 days.").await;
    let lines = app.chat_events(channel, &visitor, SHOP, 300).await;
    assert_eq!(lines.len(), 1, "a queued reply is not shown yet: {lines:?}");
    let pass = timers(&app).pass(chrono::Utc::now()).await.unwrap();
    assert_eq!(pass.delivered, 1, "{pass:?}");
    let lines = app.chat_events(channel, &visitor, SHOP, 300).await;
    let said: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["direction"].as_str().unwrap(),
                l["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            ("in", "Do you ship to Norway?"),
            ("out", "Yes, in 3 to 5 days.")
        ]
    );
    let (_, outbox) = app.outbox(id).await;
    assert_eq!(outbox[0]["delivery"], "delivered", "{outbox}");

    // An agent is online now (the reply made one): no email asked.
    let (_, _, session) = app.chat_session(channel, Some(SHOP), json!({})).await;
    assert_eq!(session["ask_email"], false);
    // Another visitor sees none of it.
    let stranger = session["visitor"].as_str().unwrap().to_string();
    assert!(app
        .chat_events(channel, &stranger, SHOP, 200)
        .await
        .is_empty());
}

#[tokio::test]
async fn a_page_the_channel_does_not_allow_gets_nothing() {
    let app = spawn_app().await;
    let channel = connect(&app).await;
    for origin in [
        None,
        Some("https://evil.example.com"),
        Some("http://localhost:9999"),
    ] {
        let (s, _, e) = app.chat_session(channel, origin, json!({})).await;
        assert_eq!(
            (s, e["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("origin_not_allowed")),
            "origin {origin:?}"
        );
        assert!(e.get("visitor").is_none());
    }
    let (s, _, _) = app
        .chat_message(
            channel,
            Some("https://evil.example.com"),
            json!({"visitor": "0".repeat(32), "id": "x", "text": "hi"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(app.state.webhooks.drain().await.unwrap().calls, 0);
    // The browser's preflight is answered for the allowed origin only.
    let (s, cors, _) = app.chat_preflight(channel, "http://localhost:8080").await;
    assert_eq!(
        (s, cors.as_deref()),
        (StatusCode::NO_CONTENT, Some("http://localhost:8080"))
    );
    // The chat is not a webhook, and a channel of another kind is no chat.
    let (s, _) = app
        .raw(
            Method::POST,
            &format!("/webhooks/{channel}"),
            &[],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (s, _, _) = app.chat_session(999, Some(SHOP), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_flood_from_one_visitor_is_refused_before_it_is_kept() {
    let app = spawn_app().await;
    let channel = connect(&app).await;
    let (_, _, session) = app.chat_session(channel, Some(SHOP), json!({})).await;
    let visitor = session["visitor"].as_str().unwrap().to_string();
    let mut statuses = Vec::new();
    for n in 0..12 {
        let (s, _, _) = app
            .chat_message(
                channel,
                Some(SHOP),
                json!({"visitor": visitor, "id": format!("m{n}"), "text": "hello?"}),
            )
            .await;
        statuses.push(s);
    }
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::ACCEPTED)
        .count();
    assert_eq!(
        accepted, 10,
        "a burst of 10, then 20 a minute: {statuses:?}"
    );
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS);
    // Nothing was kept for the refused ones.
    assert_eq!(app.state.webhooks.drain().await.unwrap().calls, 10);
    // The answer says when to try again, and the page can read it.
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/chat/{channel}/messages"))
        .header(header::ORIGIN, SHOP)
        .body(Body::from(
            json!({"visitor": visitor, "id": "m99", "text": "hello?"}).to_string(),
        ))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        SHOP
    );
}
