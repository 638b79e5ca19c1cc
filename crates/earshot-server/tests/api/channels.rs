//! Connected channels end to end, against a local stand-in for the platforms' APIs built to
//! their documented requests and answers (Graph API `…/messages`, Telegram `sendMessage`):
//! connect a channel, pass the platform's handshake, receive signed webhooks (once, however
//! often they are redelivered; a wrong signature stores nothing), answer through the API and
//! see the platform receive the reply, then move its delivery state with the platform's
//! status webhook.

use crate::helpers::{spawn_app, TestApp};
use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use earshot_engine::channels::ChannelSender;
use earshot_engine::timers::{Outbound, Timers};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// One request the stand-in platform received.
#[derive(Debug, Clone)]
struct Call {
    method: String,
    path: String,
    query: String,
    authorization: Option<String>,
    body: Value,
}

/// A local server answering like the Graph API and the Telegram Bot API.
struct FakePlatform {
    base: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl FakePlatform {
    async fn start() -> Self {
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let seen = calls.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: axum::http::HeaderMap, body: Bytes| {
                let seen = seen.clone();
                async move {
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let path = uri.path().to_string();
                    seen.lock().unwrap().push(Call {
                        method: method.to_string(),
                        path: path.clone(),
                        query: uri.query().unwrap_or("").to_string(),
                        authorization: headers
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_string()),
                        body: body.clone(),
                    });
                    answer(&method, &path, uri.query().unwrap_or(""), &headers, &body)
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base, calls }
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

fn graph_error(code: i64, message: &str) -> (StatusCode, axum::Json<Value>) {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(
            json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1"}}),
        ),
    )
}

fn answer(
    method: &Method,
    path: &str,
    query: &str,
    headers: &axum::http::HeaderMap,
    body: &Value,
) -> (StatusCode, axum::Json<Value>) {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if path.starts_with("/bot") {
        if !path.starts_with("/bot123:good/") {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"ok": false, "error_code": 401, "description": "Unauthorized"})),
            );
        }
        let result = match path.rsplit('/').next().unwrap() {
            "sendMessage" => {
                json!({"message_id": 7001, "date": 1_700_000_000, "chat": {"id": body["chat_id"], "type": "private"}, "text": body["text"]})
            }
            "getMe" => json!({"id": 123, "is_bot": true, "username": "acme_care_bot"}),
            _ => json!(true),
        };
        return (
            StatusCode::OK,
            axum::Json(json!({"ok": true, "result": result})),
        );
    }
    if bearer == "Bearer expired" || query.contains("access_token=expired") {
        return graph_error(190, "Error validating access token: Session has expired");
    }
    if method == Method::POST && path.ends_with("/replies") {
        return (
            StatusCode::OK,
            axum::Json(json!({"id": "17895695668004550"})),
        );
    }
    match (method.as_str(), path.ends_with("/messages")) {
        ("POST", true) if body["messaging_product"] == "whatsapp" => (
            StatusCode::OK,
            axum::Json(json!({"messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": "wamid.REPLY-1"}]})),
        ),
        ("POST", true) => (
            StatusCode::OK,
            axum::Json(json!({"recipient_id": body["recipient"]["id"], "message_id": "m_REPLY-1"})),
        ),
        ("GET", false) => (
            StatusCode::OK,
            axum::Json(
                json!({"id": "1122334455667", "display_phone_number": "972123456789", "verified_name": "Acme", "name": "Acme Page"}),
            ),
        ),
        _ => graph_error(100, "Unsupported request"),
    }
}

pub(crate) fn timers(app: &TestApp) -> Timers {
    Timers::new(
        app.state.store.clone(),
        app.state.pipeline.workflow.clone(),
        Arc::new(ChannelSender::new(
            app.state.channels.clone(),
            Outbound::new(None),
        )),
    )
}

/// A Meta webhook call signed with `secret`; the status.
async fn signed(app: &TestApp, url: &str, secret: &str, body: &[u8]) -> StatusCode {
    let signature = earshot_channels::webhook::meta_signature(secret, body);
    app.webhook(url, &[("x-hub-signature-256", signature)], body)
        .await
        .0
}

fn whatsapp_text(id: &str, from: &str, text: &str, seconds_ago: i64) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "972123456789", "phone_number_id": "1122334455667"},
        "contacts": [{"profile": {"name": "Dana"}, "wa_id": from}],
        "messages": [{"from": from, "id": id, "timestamp": (chrono::Utc::now().timestamp() - seconds_ago).to_string(),
                      "type": "text", "text": {"body": text}}]}}]}]})
}

fn whatsapp_status(id: &str, status: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "972123456789", "phone_number_id": "1122334455667"},
        "statuses": [{"id": id, "status": status, "timestamp": chrono::Utc::now().timestamp().to_string(), "recipient_id": "972987654321"}]}}]}]})
}

/// Replies as the workspace's agent, and checks it was taken.
pub(crate) async fn reply(app: &TestApp, conversation: i64, text: &str) {
    let (_, agents) = app.list_agents().await;
    let agent = match agents.as_array().and_then(|a| a.first()) {
        Some(a) => a["id"].clone(),
        None => app
            .create_agent(json!({"name": "Ana", "email": "ana@acme.test"}))
            .await
            .1["id"]
            .clone(),
    };
    let (s, r) = app
        .reply(
            conversation,
            json!({"text": text, "agent_id": agent, "force": true}),
        )
        .await;
    assert!(s.is_success(), "{r}");
}

pub(crate) async fn conversation_of(app: &TestApp, external_id: &str) -> i64 {
    let (_, list) = app.list_conversations("limit=100").await;
    for c in list["items"].as_array().or(list.as_array()).unwrap() {
        let id = c["id"].as_i64().unwrap();
        let (_, full) = app.get_conversation(id).await;
        if full["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["external_id"] == external_id)
        {
            return id;
        }
    }
    panic!("no conversation holds {external_id}");
}

#[tokio::test]
async fn a_whatsapp_customer_is_heard_answered_on_whatsapp_and_the_delivery_is_tracked() {
    let app = spawn_app().await;
    let platform = FakePlatform::start().await;
    let (status, ch) = app
        .create_channel(
            json!({"kind": "whatsapp", "name": "Acme support", "settings": {
            "app_secret": "app-s3cret", "verify_token": "verify-me", "access_token": "EAAG-token",
            "phone_number_id": "1122334455667", "api_base": platform.base}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ch}");
    let url = ch["webhook_url"].as_str().unwrap().to_string();
    assert_eq!(url, format!("/webhooks/{}", ch["id"]));
    // Secrets are never returned.
    let (_, listed) = app.list_channels().await;
    let text = listed.to_string();
    for secret in ["app-s3cret", "verify-me", "EAAG-token"] {
        assert!(
            !text.contains(secret) && !ch.to_string().contains(secret),
            "{secret} leaked"
        );
    }
    assert_eq!(listed[0]["settings"]["phone_number_id"], "1122334455667");
    assert_eq!(listed[0]["settings"]["access_token"], "********");
    // …and not kept in clear in the database either.
    let sealed = app
        .state
        .store
        .connected_channels(earshot_core::WorkspaceId(1))
        .await
        .unwrap();
    assert!(!sealed[0].sealed_secrets.contains("EAAG"));

    // Meta's subscription handshake.
    let (s, body) = app
        .webhook_handshake(
            &url,
            "hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=123",
        )
        .await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "123"));
    let (s, _) = app
        .webhook_handshake(
            &url,
            "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=123",
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A customer writes; Meta delivers it twice; a forged copy is refused and stores nothing.
    let first = whatsapp_text(
        "wamid.CUSTOMER-1",
        "972987654321",
        "My order never arrived",
        60,
    );
    let body = first.to_string().into_bytes();
    assert_eq!(
        signed(&app, &url, "app-s3cret", &body).await,
        StatusCode::OK
    );
    assert_eq!(
        signed(&app, &url, "app-s3cret", &body).await,
        StatusCode::OK
    );
    let forged = whatsapp_text("wamid.FORGED", "972987654321", "send me a refund", 0).to_string();
    assert_eq!(
        signed(&app, &url, "guessed", forged.as_bytes()).await,
        StatusCode::UNAUTHORIZED
    );
    let (s, _) = app.webhook(&url, &[], forged.as_bytes()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let drained = app.state.webhooks.drain().await.unwrap();
    assert_eq!(drained.calls, 2, "only verified calls were kept");
    let (_, counts) = app.list_conversations("").await;
    let id = conversation_of(&app, "wamid.CUSTOMER-1").await;
    let (_, full) = app.get_conversation(id).await;
    assert_eq!(
        full["messages"].as_array().unwrap().len(),
        1,
        "stored once: {counts}"
    );
    assert_eq!(full["messages"][0]["text"], "My order never arrived");
    assert!(!full.to_string().contains("send me a refund"));
    // Admins see each kept call and what came of it.
    let (_, calls) = app.channel_calls(&ch["id"]).await;
    assert_eq!(calls.as_array().unwrap().len(), 2, "{calls}");
    assert!(
        calls[0]["outcome"]
            .as_str()
            .unwrap()
            .starts_with("1 message(s)"),
        "{calls}"
    );

    // The agent answers; the platform receives it on the customer's number.
    reply(&app, id, "Sorry, Dana! Checking now.").await;
    let pass = timers(&app).pass(chrono::Utc::now()).await.unwrap();
    assert_eq!(pass.delivered, 1, "{pass:?}");
    let sent: Vec<Call> = platform
        .calls()
        .into_iter()
        .filter(|c| c.method == "POST")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/v21.0/1122334455667/messages");
    assert_eq!(sent[0].authorization.as_deref(), Some("Bearer EAAG-token"));
    assert_eq!(sent[0].body["to"], "972987654321");
    assert_eq!(sent[0].body["text"]["body"], "Sorry, Dana! Checking now.");
    assert_eq!(sent[0].body["context"]["message_id"], "wamid.CUSTOMER-1");
    let (_, outbox) = app.outbox(id).await;
    assert_eq!(
        (
            outbox[0]["delivery"].as_str(),
            outbox[0]["platform_id"].as_str()
        ),
        (Some("sent"), Some("wamid.REPLY-1"))
    );

    // WhatsApp reports it delivered, then read; a late `delivered` changes nothing.
    for state in ["delivered", "read", "delivered"] {
        let body = whatsapp_status("wamid.REPLY-1", state).to_string();
        assert_eq!(
            signed(&app, &url, "app-s3cret", body.as_bytes()).await,
            StatusCode::OK
        );
        app.state.webhooks.drain().await.unwrap();
    }
    let (_, outbox) = app.outbox(id).await;
    assert_eq!(outbox[0]["delivery"], "read");
    let (_, events) = app.conversation_events(id).await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"reply_sent")
            && kinds.contains(&"reply_delivered")
            && kinds.contains(&"reply_read"),
        "{kinds:?}"
    );

    // Dana reacts 👍 to the reply: it is in the history, and nobody is made to wait by it.
    let (_, before) = app.get_conversation(id).await;
    let mut reaction = whatsapp_text("wamid.REACTION-1", "972987654321", "", 0);
    reaction["entry"][0]["changes"][0]["value"]["messages"][0] = json!({"from": "972987654321",
        "id": "wamid.REACTION-1", "timestamp": chrono::Utc::now().timestamp().to_string(),
        "type": "reaction", "reaction": {"message_id": "wamid.REPLY-1", "emoji": "👍"}});
    assert_eq!(
        signed(&app, &url, "app-s3cret", reaction.to_string().as_bytes()).await,
        StatusCode::OK
    );
    app.state.webhooks.drain().await.unwrap();
    let (_, after) = app.get_conversation(id).await;
    assert_eq!(
        after["messages"].as_array().unwrap().len(),
        before["messages"].as_array().unwrap().len(),
        "a reaction is no message"
    );
    assert_eq!(
        after["conversation"]["waiting_since"], before["conversation"]["waiting_since"],
        "{after}"
    );
    let (_, events) = app.conversation_events(id).await;
    let reacted = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "reaction")
        .expect("a reaction event");
    assert_eq!(reacted["data"]["emoji"], "👍");

    // The customer answers the reply on WhatsApp (a reply with context): same conversation.
    let mut again = whatsapp_text("wamid.CUSTOMER-2", "972987654321", "Thanks!", 0);
    again["entry"][0]["changes"][0]["value"]["messages"][0]["context"] =
        json!({"from": "1122334455667", "id": "wamid.REPLY-1"});
    assert_eq!(
        signed(&app, &url, "app-s3cret", again.to_string().as_bytes()).await,
        StatusCode::OK
    );
    app.state.webhooks.drain().await.unwrap();
    assert_eq!(conversation_of(&app, "wamid.CUSTOMER-2").await, id);
}

#[tokio::test]
async fn whatsapps_window_an_expired_token_and_an_unconnected_account_never_claim_sent() {
    let app = spawn_app().await;
    let platform = FakePlatform::start().await;
    let (_, ch) = app
        .create_channel(json!({"kind": "whatsapp", "name": "wa", "settings": {
            "app_secret": "s", "verify_token": "v", "access_token": "expired",
            "phone_number_id": "1", "api_base": platform.base}}))
        .await;
    let url = ch["webhook_url"].as_str().unwrap().to_string();
    // One customer wrote two days ago (window closed), one a minute ago.
    for (id, from, ago) in [("wamid.OLD", "100", 48 * 3600), ("wamid.NEW", "200", 60)] {
        let body = whatsapp_text(id, from, "hello?", ago).to_string();
        assert_eq!(
            signed(&app, &url, "s", body.as_bytes()).await,
            StatusCode::OK
        );
    }
    app.state.webhooks.drain().await.unwrap();
    let old = conversation_of(&app, "wamid.OLD").await;
    let new = conversation_of(&app, "wamid.NEW").await;
    // The closed window is said before the reply is taken.
    let agent = app
        .create_agent(json!({"name": "Ana", "email": "ana@acme.test"}))
        .await
        .1["id"]
        .clone();
    let (s, e) = app
        .reply(old, json!({"text": "Hi", "agent_id": agent}))
        .await;
    assert_eq!(
        (s, e["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("outside_messaging_window")
        )
    );
    assert!(e["message"].as_str().unwrap().contains("24-hour"), "{e}");
    let (_, outbox) = app.outbox(old).await;
    assert_eq!(outbox.as_array().unwrap().len(), 0, "nothing queued");
    // An approved template may go outside the window.
    let template =
        json!({"name": "order_update", "language": "en_US", "parameters": ["Dana", "A-1042"]});
    let (s, r) = app
        .reply(old, json!({"template": template, "agent_id": agent}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    reply(&app, new, "Hi").await;
    let pass = timers(&app).pass(chrono::Utc::now()).await.unwrap();
    assert_eq!(
        (pass.delivered, pass.not_sent, pass.paused),
        (0, 0, 2),
        "{pass:?}"
    );
    let (_, outbox) = app.outbox(new).await;
    assert_eq!(
        (outbox[0]["status"].as_str(), outbox[0]["delivery"].as_str()),
        (Some("queued"), Some("queued"))
    );
    assert!(outbox[0]["last_error"].as_str().unwrap().contains("190"));
    let (_, shown) = app.get_channel(&ch["id"]).await;
    assert_eq!(shown["status"], "needs_reauth");
    // While it waits, nothing more is sent (and the attempt is not used up).
    let calls = platform.calls().len();
    timers(&app)
        .pass(chrono::Utc::now() + chrono::Duration::minutes(11))
        .await
        .unwrap();
    assert_eq!(platform.calls().len(), calls);
    // A new token makes the channel active again and the reply leaves.
    let (s, patched) = app
        .update_channel(&ch["id"], json!({"settings": {"access_token": "EAAG-new"}}))
        .await;
    assert_eq!(
        (s, patched["status"].as_str()),
        (StatusCode::OK, Some("active")),
        "{patched}"
    );
    let pass = timers(&app)
        .pass(chrono::Utc::now() + chrono::Duration::minutes(11))
        .await
        .unwrap();
    assert_eq!(pass.delivered, 2, "{pass:?}");
    let sent: Vec<Call> = platform
        .calls()
        .into_iter()
        .filter(|c| c.method == "POST" && c.authorization.as_deref() == Some("Bearer EAAG-new"))
        .collect();
    let templated = sent
        .iter()
        .find(|c| c.body["type"] == "template")
        .expect("the template was sent");
    assert_eq!(templated.body["to"], "100");
    assert_eq!(templated.body["template"]["name"], "order_update");
    assert_eq!(templated.body["template"]["language"]["code"], "en_US");
    assert_eq!(
        templated.body["template"]["components"][0]["parameters"][1]["text"],
        "A-1042"
    );

    // A conversation on an account that was never connected: not_sent, with the reason.
    let (_, r) = app
        .post_messages(
            &json!([{"channel": "x", "external_id": "t1", "author": {"external_id": "u1"},
        "text": "help", "created_at": chrono::Utc::now().to_rfc3339()}]),
        )
        .await;
    let x = r["results"][0]["conversation_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{r}"));
    reply(&app, x, "On it").await;
    timers(&app)
        .pass(chrono::Utc::now() + chrono::Duration::minutes(12))
        .await
        .unwrap();
    let (_, outbox) = app.outbox(x).await;
    assert_eq!(outbox[0]["delivery"], "not_sent");
    assert!(outbox[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("not connected"));
}

#[tokio::test]
async fn telegram_and_messenger_channels_verify_receive_and_answer_the_platforms_way() {
    let app = spawn_app().await;
    let platform = FakePlatform::start().await;
    // Telegram: the secret token header, sendMessage replying to the customer's message.
    let (s, tg) = app
        .create_channel(
            json!({"kind": "telegram", "name": "acme_care_bot", "settings": {
            "bot_token": "123:good", "secret_token": "tg-secret", "api_base": platform.base}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{tg}");
    assert!(tg["webhook_registration"]
        .as_str()
        .unwrap()
        .contains("EARSHOT_PUBLIC_URL"));
    let (_, test) = app.test_channel(&tg["id"]).await;
    assert_eq!(
        (test["ok"].as_bool(), test["message"].as_str()),
        (Some(true), Some("connected: bot @acme_care_bot"))
    );
    let url = tg["webhook_url"].as_str().unwrap().to_string();
    let update = json!({"update_id": 1, "message": {"message_id": 42, "date": chrono::Utc::now().timestamp(),
        "from": {"id": 555, "is_bot": false, "first_name": "Tom", "username": "tom"},
        "chat": {"id": 555, "type": "private"}, "text": "Where is my parcel?"}}).to_string();
    let (s, _) = app
        .webhook(
            &url,
            &[("x-telegram-bot-api-secret-token", "wrong".into())],
            update.as_bytes(),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .webhook(
            &url,
            &[("x-telegram-bot-api-secret-token", "tg-secret".into())],
            update.as_bytes(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.state.webhooks.drain().await.unwrap();
    let id = conversation_of(&app, "555:42").await;
    reply(&app, id, "Tracking it, Tom").await;

    // Messenger: signed like WhatsApp, the Send API with the Page token.
    let (_, fb) = app
        .create_channel(
            json!({"kind": "messenger", "name": "Acme Page", "settings": {
            "app_secret": "fb-secret", "verify_token": "v", "page_access_token": "PAGE-TOKEN",
            "page_id": "PAGE1", "api_base": platform.base}}),
        )
        .await;
    let fb_url = fb["webhook_url"].as_str().unwrap().to_string();
    let event = json!({"object": "page", "entry": [{"id": "PAGE1", "time": 1, "messaging": [{
        "sender": {"id": "PSID-9"}, "recipient": {"id": "PAGE1"}, "timestamp": chrono::Utc::now().timestamp_millis(),
        "message": {"mid": "m_CUSTOMER", "text": "Is the shop open on Sunday?"}}]}]}).to_string();
    assert_eq!(
        signed(&app, &fb_url, "fb-secret", event.as_bytes()).await,
        StatusCode::OK
    );
    app.state.webhooks.drain().await.unwrap();
    let fb_id = conversation_of(&app, "m_CUSTOMER").await;
    reply(&app, fb_id, "Yes, 10 to 4").await;

    let pass = timers(&app).pass(chrono::Utc::now()).await.unwrap();
    assert_eq!(pass.delivered, 2, "{pass:?}");
    let calls = platform.calls();
    let tg_call = calls
        .iter()
        .find(|c| c.path == "/bot123:good/sendMessage")
        .unwrap();
    assert_eq!(tg_call.body["chat_id"], 555);
    assert_eq!(tg_call.body["text"], "Tracking it, Tom");
    assert_eq!(tg_call.body["reply_parameters"]["message_id"], 42);
    let fb_call = calls
        .iter()
        .find(|c| c.path == "/v21.0/PAGE1/messages")
        .unwrap();
    assert!(fb_call.query.contains("access_token=PAGE-TOKEN"));
    assert_eq!(fb_call.body["recipient"]["id"], "PSID-9");
    assert_eq!(fb_call.body["message"]["text"], "Yes, 10 to 4");
    assert_eq!(fb_call.body["messaging_type"], "RESPONSE");

    // Messenger reports the delivery by message id.
    let delivered = json!({"object": "page", "entry": [{"id": "PAGE1", "time": 1, "messaging": [{
        "sender": {"id": "PSID-9"}, "recipient": {"id": "PAGE1"}, "timestamp": chrono::Utc::now().timestamp_millis(),
        "delivery": {"mids": ["m_REPLY-1"], "watermark": chrono::Utc::now().timestamp_millis()}}]}]}).to_string();
    assert_eq!(
        signed(&app, &fb_url, "fb-secret", delivered.as_bytes()).await,
        StatusCode::OK
    );
    app.state.webhooks.drain().await.unwrap();
    let (_, outbox) = app.outbox(fb_id).await;
    assert_eq!(outbox[0]["delivery"], "delivered");

    // The customer deletes their message on Messenger: it is marked, and shown as deleted.
    let deleted = json!({"object": "page", "entry": [{"id": "PAGE1", "time": 1, "messaging": [{
        "sender": {"id": "PSID-9"}, "recipient": {"id": "PAGE1"}, "timestamp": chrono::Utc::now().timestamp_millis(),
        "message": {"mid": "m_CUSTOMER", "is_deleted": true}}]}]}).to_string();
    assert_eq!(
        signed(&app, &fb_url, "fb-secret", deleted.as_bytes()).await,
        StatusCode::OK
    );
    app.state.webhooks.drain().await.unwrap();
    let (_, full) = app.get_conversation(fb_id).await;
    let customer = full["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["external_id"] == "m_CUSTOMER")
        .unwrap();
    assert!(customer["deleted_at"].is_string(), "{customer}");

    // Every problem with a channel is reported at once, with its path.
    let (s, e) = app.create_channel(json!({"kind": "whatsapp", "name": "", "settings": {"phone": "1", "api_base": "ftp://x"}})).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_channel"))
    );
    let paths: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    for p in [
        "name",
        "settings.phone",
        "settings.app_secret",
        "settings.access_token",
        "settings.phone_number_id",
        "settings.api_base",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    let (s, e) = app.create_channel(json!({"kind": "email", "name": "care", "settings": {"imap_url": "http://mail", "smtp_url": "smtp://relay:25", "address": "care"}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let paths: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["settings.imap_url", "settings.address"], "{e}");
    let (s, e) = app
        .create_channel(json!({"kind": "web_chat", "name": "chat", "settings": {}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("settings.allowed_origins: is required"));
    // Another workspace sees none of it.
    let (s, _) = app
        .get_as_other(&format!("/api/v1/channels/{}", tg["id"]))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Removing a channel closes its webhook.
    let (s, _) = app.delete_channel(&tg["id"]).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .webhook(
            &url,
            &[("x-telegram-bot-api-secret-token", "tg-secret".into())],
            update.as_bytes(),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_instagram_comment_is_a_public_conversation_answered_under_the_comment() {
    let app = spawn_app().await;
    let platform = FakePlatform::start().await;
    let (s, ig) = app
        .create_channel(json!({"kind": "instagram", "name": "acme_ig", "settings": {
                "app_secret": "ig-secret", "verify_token": "v", "page_access_token": "IG-TOKEN",
                "ig_user_id": "IGID", "api_base": platform.base}}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ig}");
    let url = ig["webhook_url"].as_str().unwrap().to_string();
    let change = json!({"object": "instagram", "entry": [{"id": "IGID", "time": chrono::Utc::now().timestamp(),
        "changes": [{"field": "comments", "value": {"from": {"id": "IGSID-5", "username": "sam"},
            "media": {"id": "MEDIA-1", "media_product_type": "FEED"}, "id": "COMMENT-1",
            "text": "My order is two weeks late"}}]}]})
    .to_string();
    assert_eq!(
        signed(&app, &url, "ig-secret", change.as_bytes()).await,
        StatusCode::OK
    );
    app.state.webhooks.drain().await.unwrap();
    let id = conversation_of(&app, "COMMENT-1").await;
    let (_, full) = app.get_conversation(id).await;
    assert_eq!(full["messages"][0]["visibility"], "public");
    reply(&app, id, "Sorry, Sam! Sending you a DM.").await;
    let pass = timers(&app).pass(chrono::Utc::now()).await.unwrap();
    assert_eq!(pass.delivered, 1, "{pass:?}");
    let call = platform
        .calls()
        .into_iter()
        .find(|c| c.path == "/v21.0/COMMENT-1/replies")
        .expect("the answer went under the comment");
    assert!(call.query.contains("access_token=IG-TOKEN") && call.query.contains("message=Sorry"));
}
