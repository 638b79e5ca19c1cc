//! The HTTP API as a client sees it: status codes, JSON bodies, auth, isolation.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

fn message(id: &str, author: &str, direction: &str, parent: Option<&str>) -> Value {
    let mut m = json!({
        "channel": "x", "external_id": id, "direction": direction,
        "author": {"external_id": author, "handle": author, "followers": 12},
        "text": format!("text of {id}"), "created_at": format!("2017-10-31T22:{:02}:00Z", id.len() * 7 % 60),
    });
    if let Some(p) = parent {
        m["in_reply_to"] = json!(p);
    }
    m
}

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn health_checks_need_no_token() {
    let app = spawn_app().await;
    let (status, body) = app.health().await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = app.readiness().await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["database"], "sqlite");
}

#[tokio::test]
async fn every_api_endpoint_refuses_requests_without_a_valid_token() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/conversations",
        "/api/v1/conversations/1",
        "/api/v1/contacts",
        "/api/v1/contacts/1",
        "/api/v1/contacts/1/merges",
        "/api/v1/teams",
        "/api/v1/agents",
    ] {
        let (status, body) = app.send(Method::GET, path, None, vec![]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_error(&body, "unauthorized");
        let (status, _) = app
            .send(Method::GET, path, Some("esk_not_a_real_token"), vec![])
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, _) = app
        .send(Method::POST, "/api/v1/messages", None, b"{}".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn posted_messages_thread_into_a_conversation_with_its_contact() {
    let app = spawn_app().await;
    let batch = json!([
        message("100", "cust", "in", None),
        message("101", "acmecare", "out", Some("100")),
    ]);
    let (status, body) = app.post_messages(&batch).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["stored"], 2);
    let conversation = body["results"][0]["conversation_id"].clone();
    assert_eq!(body["results"][1]["conversation_id"], conversation);

    let (status, again) = app.post_messages(&batch).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        (again["stored"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(again["results"][0]["status"], "duplicate");

    let (status, detail) = app.get_conversation(conversation).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["conversation"]["status"], "open");
    assert!(detail["conversation"]["first_response_at"].is_string());
    assert_eq!(detail["messages"].as_array().unwrap().len(), 2);
    assert_eq!(detail["messages"][1]["direction"], "out");
    assert_eq!(detail["contact"]["identities"][0]["handle"], "cust");
    assert_eq!(detail["contact"]["identities"][0]["followers"], 12);

    let contact = detail["contact"]["id"].clone();
    let (status, profile) = app.get_contact(&contact).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["identities"][0]["external_id"], "cust");
    let (_, contacts) = app.list_contacts("limit=1").await;
    assert_eq!(contacts["items"].as_array().unwrap().len(), 1);
    assert_eq!(contacts["items"][0]["id"], contact);
    assert!(
        contacts["next_cursor"].is_null(),
        "the brand's own account (acmecare) is no customer contact: {contacts}"
    );
}

#[tokio::test]
async fn two_contacts_of_one_person_merge_and_the_merge_can_be_undone() {
    let app = spawn_app().await;
    let post = |channel: &str, id: &str, author: &str| {
        json!({"channel": channel, "external_id": id, "visibility": "private",
               "author": {"external_id": author, "handle": author},
               "text": "Where is order A-1042?", "created_at": "2026-11-30T10:00:00Z"})
    };
    let (_, r) = app
        .post_messages(&json!([
            post("whatsapp", "wamid.1", "+15550001"),
            post("email", "m1@example.com", "dana@example.com")
        ]))
        .await;
    let conversation = |i: usize| r["results"][i]["conversation_id"].as_i64().unwrap();
    let contact_of = |c: i64| {
        let app = &app;
        async move {
            app.get_conversation(c).await.1["conversation"]["contact_id"]
                .as_i64()
                .unwrap()
        }
    };
    let (a, b) = (
        contact_of(conversation(0)).await,
        contact_of(conversation(1)).await,
    );
    let (_, before_b) = app.get_contact(b).await;
    let (_, found) = app.list_contacts("q=dana%40example").await;
    assert_eq!(found["items"][0]["id"], b, "{found}");
    assert_eq!(found["items"].as_array().unwrap().len(), 1);

    let (s, e) = app.merge_contacts(a, json!({"other_id": a})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["message"].as_str().unwrap().contains("itself"));
    let (s, _) = app.merge_contacts(a, json!({"other_id": 999_999})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, merge) = app.merge_contacts(a, json!({"other_id": b})).await;
    assert_eq!(s, StatusCode::OK, "{merge}");
    let (_, one) = app.get_contact(a).await;
    assert_eq!(one["identities"].as_array().unwrap().len(), 2, "{one}");
    assert_eq!(contact_of(conversation(1)).await, a);
    let (_, gone) = app.get_contact(b).await;
    assert_eq!(gone["merged_into"], a);
    // Another workspace can neither see nor undo it.
    let (s, _) = app
        .send(
            Method::POST,
            &format!("/api/v1/contacts/merges/{}/undo", merge["id"]),
            Some(&app.other_token),
            Vec::new(),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, undone) = app.undo_merge(&merge["id"]).await;
    assert_eq!(s, StatusCode::OK, "{undone}");
    assert_eq!(contact_of(conversation(1)).await, b);
    let (_, after_b) = app.get_contact(b).await;
    assert_eq!(after_b, before_b, "the merged contact is back as it was");
    let (s, e) = app.undo_merge(&merge["id"]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (_, history) = app.contact_merges(a).await;
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert!(history[0]["undone_at"].is_string());

    // The customer's right of access: everything held about them, in one document.
    let (s, export) = app.export_contact(b).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        export["summary"]
            .as_str()
            .unwrap()
            .contains("1 conversation with 1 message on email"),
        "{}",
        export["summary"]
    );
    assert_eq!(export["contact"]["id"], b);
    let convs = export["conversations"].as_array().unwrap();
    assert_eq!(convs[0]["messages"][0]["text"], "Where is order A-1042?");
    assert!(
        convs[0]["messages"][0]["raw"].is_object(),
        "native payloads included"
    );
    assert!(convs[0]["events"].is_array() && convs[0]["enrichments"].is_array());
    assert_eq!(export["merges"].as_array().unwrap().len(), 1);
    assert!(
        export["consent"].is_array(),
        "the consent ledger is part of it"
    );
    let (s, ledger) = app.consent(b).await;
    assert_eq!((s, ledger), (StatusCode::OK, json!([])));
    // An opt-out set through the API is on the ledger, once per change.
    for opted_out in [true, true, false] {
        let (s, _) = app.update_contact(b, json!({"opted_out": opted_out})).await;
        assert_eq!(s, StatusCode::OK);
    }
    let (_, ledger) = app.consent(b).await;
    let entries: Vec<(bool, &str)> = ledger
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["granted"].as_bool().unwrap(), e["how"].as_str().unwrap()))
        .collect();
    assert_eq!(entries, [(false, "api"), (true, "api")]);
    let (s, _) = app
        .get_as_other(&format!("/api/v1/contacts/{b}/export"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another workspace gets nothing");
}

#[tokio::test]
async fn customers_messages_are_enriched_and_the_detail_explains_each_label() {
    let app = spawn_app().await;
    let mut angry = message("200", "cust", "in", None);
    angry["text"] = json!("@acmecare worst service ever, my order never arrived and nobody answers. I want a refund NOW");
    let batch = json!([angry, message("201", "acmecare", "out", Some("200"))]);
    let (status, body) = app.post_messages(&batch).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let conversation = body["results"][0]["conversation_id"].clone();
    let (_, detail) = app.get_conversation(conversation).await;
    let e = &detail["messages"][0]["enrichment"];
    assert_eq!(e["language"], "en", "{e}");
    assert_eq!(e["sentiment"]["label"], "negative", "{e}");
    assert!(e["sentiment"]["score"].as_f64().unwrap() < 0.0);
    assert!(!e["sentiment"]["because"].as_array().unwrap().is_empty());
    let complaint = e["intents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "complaint")
        .unwrap_or_else(|| panic!("a complaint: {e}"));
    assert!(complaint["confidence"].as_f64().unwrap() >= 0.5);
    assert!(!complaint["because"].as_array().unwrap().is_empty());
    assert!(e["urgency"]["score"].as_f64().unwrap() > 0.0);
    assert!(
        detail["messages"][1]["enrichment"].is_null(),
        "the brand's reply is not triaged: {detail}"
    );
}

#[tokio::test]
async fn the_inbox_puts_the_urgent_complaint_above_the_thanks_and_says_why() {
    let app = spawn_app().await;
    let mut thanks = message("300", "fan", "in", None);
    thanks["text"] = json!("@acmecare thank you so much, the new app is great!");
    let mut fire = message("301", "cust", "in", None);
    fire["text"] = json!("@acmecare my charger caught fire and burned my hand, this is dangerous. I want a refund now");
    let mut question = message("302", "asker", "in", None);
    question["text"] = json!("@acmecare how do I change my delivery address?");
    let (status, body) = app.post_messages(&json!([thanks, fire, question])).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (_, inbox) = app.list_conversations("").await;
    let order: Vec<&Value> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    let id = |k: usize| &body["results"][k]["conversation_id"];
    assert_eq!(order, [id(1), id(2), id(0)], "{inbox}");
    let (_, detail) = app.get_conversation(id(1)).await;
    let p = &detail["priority"];
    assert!(
        matches!(p["label"].as_str(), Some("urgent" | "high")),
        "{p}"
    );
    assert_eq!(p["score"], detail["conversation"]["priority"]);
    assert_eq!(p["parts"][0]["part"], "urgency", "{p}");
    let (_, thanked) = app.get_conversation(id(0)).await;
    assert_eq!(thanked["priority"]["label"], "low", "{thanked}");
}

#[tokio::test]
async fn agents_take_assignments_and_change_status_within_their_workspace() {
    let app = spawn_app().await;
    let (status, team) = app.create_team(json!({"name": "Social care"})).await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let (status, again) = app.create_team(json!({"name": "Social care"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, ana) = app
        .create_agent(json!({"name": "Ana", "email": "ana@acme.test", "team_id": team["id"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ana}");
    let (status, bad) = app
        .create_agent(json!({"name": "Bo", "email": "not-an-address"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad["message"].as_str().unwrap().contains("email"), "{bad}");
    let (_, agents) = app.list_agents().await;
    assert_eq!(agents.as_array().unwrap().len(), 1);
    let (_, theirs) = app.get_as_other("/api/v1/agents").await;
    assert!(theirs.as_array().unwrap().is_empty(), "{theirs}");

    let (_, body) = app
        .post_messages(&json!(message("1", "c", "in", None)))
        .await;
    let id = &body["results"][0]["conversation_id"];
    let (status, c) = app
        .assign(id, json!({"agent_id": ana["id"], "team_id": team["id"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["assignee_id"], ana["id"]);
    let (_, mine) = app
        .list_conversations(&format!("assignee={}", ana["id"]))
        .await;
    assert_eq!(mine["items"][0]["id"], *id);
    let (status, c) = app.set_status(id, json!({"status": "resolved"})).await;
    assert_eq!(
        (status, c["status"].as_str()),
        (StatusCode::OK, Some("resolved"))
    );
    let (status, e) = app.set_status(id, json!({"status": "done"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["message"].as_str().unwrap().contains("done"), "{e}");
    // Another workspace can neither see nor assign this conversation.
    let (status, _) = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{id}/assign"),
            Some(&app.other_token),
            json!({"agent_id": null}).to_string().into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An agent of another workspace can't be given this conversation.
    let (_, stranger) = app
        .send(
            Method::POST,
            "/api/v1/agents",
            Some(&app.other_token),
            json!({"name": "Zed", "email": "zed@globex.test"})
                .to_string()
                .into_bytes(),
        )
        .await;
    let (status, e) = app.assign(id, json!({"agent_id": stranger["id"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    // Unassign.
    let (_, c) = app.assign(id, json!({"agent_id": null})).await;
    assert!(c["assignee_id"].is_null(), "{c}");
}

#[tokio::test]
async fn an_invalid_batch_is_refused_whole_with_every_reason() {
    let app = spawn_app().await;
    let mut empty_text = message("2", "c", "in", None);
    empty_text["text"] = json!("");
    let mut wrong_type = message("3", "c", "in", None);
    wrong_type["author"]["followers"] = json!("lots");
    let mut unknown = message("4", "c", "in", None);
    unknown["sentiment"] = json!("angry");
    let batch = json!([
        message("1", "c", "in", None),
        empty_text,
        wrong_type,
        unknown
    ]);
    let (status, body) = app.post_messages(&batch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "invalid_message");
    let indexes: Vec<_> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [1, 2, 3]);
    assert_eq!(body["errors"][0]["code"], "empty_field");
    assert!(body["errors"][2]["message"]
        .as_str()
        .unwrap()
        .contains("sentiment"));
    let (_, list) = app.list_conversations("").await;
    assert!(
        list["items"].as_array().unwrap().is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn malformed_bodies_get_client_errors_never_a_500() {
    let app = spawn_app().await;
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            b"{\"channel\": \"x\", \"external_id\":".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            b"\xff\xfe not utf-8".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (b"42".to_vec(), StatusCode::BAD_REQUEST, "invalid_json"),
        // A lone UTF-16 surrogate is not a character: refused, with where it is.
        (
            br#"[{"channel": "x", "text": "hi \ud800 there"}]"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (b"[]".to_vec(), StatusCode::BAD_REQUEST, "empty_batch"),
        (b"".to_vec(), StatusCode::BAD_REQUEST, "invalid_json"),
        (
            vec![b'x'; 10 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (body, expected, code) in cases {
        let (status, json) = app
            .send(Method::POST, "/api/v1/messages", Some(&app.token), body)
            .await;
        assert_eq!(status, expected, "{json}");
        assert_error(&json, code);
    }
    let many = Value::Array(
        (0..1001)
            .map(|i| message(&i.to_string(), "c", "in", None))
            .collect(),
    );
    let (status, json) = app.post_messages(&many).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&json, "payload_too_large");
}

#[tokio::test]
async fn the_inbox_lists_filters_and_pages() {
    let app = spawn_app().await;
    let batch = Value::Array(
        (0..5)
            .map(|i| message(&format!("m{i}"), &format!("c{i}"), "in", None))
            .collect(),
    );
    app.post_messages(&batch).await;
    let (status, first) = app.list_conversations("limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .list_conversations(&format!("limit=2&cursor={cursor}"))
        .await;
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    let (_, new) = app
        .list_conversations("status=new&channel=x&assignee=none&updated_since=2000-01-01T00:00:00Z")
        .await;
    assert_eq!(new["items"].as_array().unwrap().len(), 5);
    let (_, none) = app.list_conversations("status=resolved").await;
    assert!(none["items"].as_array().unwrap().is_empty());

    for (query, needle) in [
        ("status=closed", "closed"),
        ("channel=myspace", "myspace"),
        ("assignee=bob", "bob"),
        ("updated_since=yesterday", "yesterday"),
        ("cursor=garbage", "garbage"),
        ("limit=-1", "limit"),
        ("colour=red", "colour"),
    ] {
        let (status, body) = app.list_conversations(query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_error(&body, "invalid_query");
        assert!(
            body["message"].as_str().unwrap().contains(needle),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn unknown_things_are_json_404s_and_wrong_methods_405s() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/conversations/999",
        "/api/v1/conversations/abc",
        "/api/v1/contacts/7",
        "/api/v1/nope",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_error(&body, "not_found");
    }
    let (status, body) = app.delete("/api/v1/conversations").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&body, "method_not_allowed");
}

#[tokio::test]
async fn a_workspace_never_sees_another_workspaces_conversations() {
    let app = spawn_app().await;
    let (_, body) = app
        .post_messages(&json!(message("1", "c", "in", None)))
        .await;
    let conversation = &body["results"][0]["conversation_id"];
    let (status, _) = app
        .get_as_other(&format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get_as_other("/api/v1/conversations").await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn topics_are_validated_on_save_and_previewed_on_recent_messages() {
    let app = spawn_app().await;
    let (status, body) = app
        .create_topic(json!({"name": "Refunds", "query": "(refund OR return"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "invalid_topic_query");
    assert_eq!(body["column"], 1, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("never closed"),
        "{body}"
    );

    let (status, topic) = app
        .create_topic(json!({"name": "Refunds", "query": "refund* AND NOT spam"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{topic}");
    assert_eq!(topic["active"], true);
    let id = topic["id"].clone();
    let (status, _) = app
        .create_topic(json!({"name": "Refunds", "query": "x"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, updated) = app
        .update_topic(
            &id,
            json!({"name": "Refunds", "query": "refund*", "active": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["active"], false);
    let (status, body) = app
        .update_topic(&id, json!({"name": "Refunds", "query": "NEAR/2"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, list) = app.list_topics().await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = app.get_as_other(&format!("/api/v1/topics/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another workspace's topic");

    let mut batch = Vec::new();
    for (i, text) in [
        "where is my refund",
        "refunds take forever",
        "love it",
        "refund spam",
    ]
    .iter()
    .enumerate()
    {
        let mut m = message(&format!("p{i}"), "c", "in", None);
        m["text"] = json!(text);
        batch.push(m);
    }
    app.post_messages(&Value::Array(batch)).await;
    let (status, preview) = app
        .preview_topic(json!({"query": "refund* AND NOT spam", "samples": 1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        (preview["scanned"].as_u64(), preview["matched"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(preview["samples"].as_array().unwrap().len(), 1);
    assert_eq!(preview["complete"], true, "all four within the time budget");
    let (status, body) = app.preview_topic(json!({"query": "\"unclosed"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["column"], 1);

    let (status, _) = app.delete_topic(&id).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.delete_topic(&id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn listening_posts_are_matched_against_topics_changed_while_running() {
    let app = spawn_app().await;
    let listening = |id: &str, text: &str| {
        let mut m = message(id, &format!("a{id}"), "in", None);
        m["source"] = json!("listening");
        m["account"] = json!("public-stream");
        m["text"] = json!(text);
        m
    };
    // No topic yet: a listening post is only counted, while an owned-account message opens a
    // conversation whatever it says.
    let (_, body) = app
        .post_messages(&json!([
            listening("1", "my refund is late"),
            message("2", "c", "in", None)
        ]))
        .await;
    assert_eq!(body["results"][0]["status"], "counted", "{body}");
    assert_eq!(body["results"][1]["status"], "stored");

    // A topic added to the running server applies to the very next message.
    let (status, topic) = app
        .create_topic(json!({"name": "Refunds", "query": "refund*"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = app
        .post_messages(&json!([
            listening("3", "still waiting for refunds"),
            listening("4", "nice weather")
        ]))
        .await;
    assert_eq!(body["results"][0]["status"], "stored", "{body}");
    assert_eq!(body["results"][1]["status"], "counted");
    let conversation = &body["results"][0]["conversation_id"];
    let (_, detail) = app.get_conversation(conversation).await;
    assert_eq!(
        detail["messages"][0]["topics"],
        json!([topic["id"]]),
        "{detail}"
    );

    // Changing the topic changes what the next message matches.
    let id = &topic["id"];
    let (status, updated) = app
        .update_topic(id, json!({"name": "Refunds", "query": "cancel*"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (_, body) = app
        .post_messages(&json!([
            listening("5", "refund please"),
            listening("6", "cancelling now")
        ]))
        .await;
    assert_eq!(body["results"][0]["status"], "counted", "{body}");
    assert_eq!(body["results"][1]["status"], "stored");
    assert_eq!(
        (
            body["stored"].as_u64(),
            body["duplicates"].as_u64(),
            body["counted"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );

    // `lang:` sees the language the enrich stage would find.
    let (status, _) = app
        .create_topic(json!({"name": "Colis en français", "query": "lang:fr colis"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = app
        .post_messages(&json!([
            listening(
                "7",
                "Mon colis n'est toujours pas arrivé, je fais comment ?"
            ),
            listening("8", "colis is a word my English friend uses for parcels")
        ]))
        .await;
    assert_eq!(body["results"][0]["status"], "stored", "{body}");
    assert_eq!(body["results"][1]["status"], "counted", "{body}");
}

#[tokio::test]
async fn one_person_on_email_whatsapp_and_x_is_one_contact_plus_an_explained_suggestion() {
    let app = spawn_app().await;
    let email = json!({"channel": "email", "external_id": "m1@example.com", "visibility": "private",
        "author": {"external_id": "dana.scully@example.com", "display_name": "Dana Scully"},
        "text": "Hello, my parcel never came and nobody answers my calls. Can you help?\n--\nDana Scully\nMobile: +44 7700 900123",
        "created_at": "2026-11-30T10:00:00Z"});
    let whatsapp = json!({"channel": "whatsapp", "external_id": "wamid.1", "visibility": "private",
        "author": {"external_id": "447700900123", "display_name": "Dana"},
        "text": "any news about my parcel?", "created_at": "2026-11-30T12:00:00Z"});
    let tweet = json!({"channel": "x", "external_id": "1850000000000000001",
        "author": {"external_id": "99001", "handle": "danascully", "display_name": "Dana Scully"},
        "text": "@acme my parcel has still not arrived, I ordered it two weeks ago", "created_at": "2026-11-30T13:00:00Z"});
    let (s, r) = app.post_messages(&json!([email, whatsapp, tweet])).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    let contact_of = |i: usize| {
        let app = &app;
        let c = r["results"][i]["conversation_id"].as_i64().unwrap();
        async move {
            app.get_conversation(c).await.1["conversation"]["contact_id"]
                .as_i64()
                .unwrap()
        }
    };
    let (dana, on_x) = (contact_of(0).await, contact_of(2).await);
    assert_eq!(
        contact_of(1).await,
        dana,
        "the signature's number is her WhatsApp"
    );
    assert_ne!(on_x, dana, "nothing strong links the X account");
    let (_, profile) = app.get_contact(dana).await;
    assert_eq!(
        profile["identities"].as_array().unwrap().len(),
        2,
        "{profile}"
    );
    let kinds: Vec<(&str, bool)> = profile["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["value"].as_str().unwrap(),
                i["verified"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(kinds.contains(&("447700900123", true)), "{kinds:?}");
    assert!(
        kinds.contains(&("dana.scully@example.com", true)),
        "{kinds:?}"
    );
    let (_, merges) = app.contact_merges(dana).await;
    assert!(
        merges[0]["reason"]
            .as_str()
            .unwrap()
            .contains("+447700900123"),
        "{merges}"
    );

    // The X account is suggested, with the fields that decided it.
    let (s, suggested) = app.suggestions(on_x, "").await;
    assert_eq!(s, StatusCode::OK, "{suggested}");
    assert_eq!(suggested[0]["contact"]["id"], dana, "{suggested}");
    assert!(suggested[0]["score"].as_f64().unwrap() > 0.0);
    let fields: Vec<&str> = suggested[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"name"), "{suggested}");
    let (_, strict) = app.suggestions(on_x, "min_score=40").await;
    assert_eq!(strict, json!([]), "no suggestion is that certain");
    // Rejected, it is never suggested again; bad ids are named.
    let (s, _) = app.reject_suggestion(on_x, dana).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, after) = app.suggestions(on_x, "").await;
    assert_eq!(after, json!([]));
    let (_, from_dana) = app.suggestions(dana, "").await;
    assert_eq!(from_dana, json!([]), "rejected both ways");
    let (s, e) = app.reject_suggestion(on_x, 999999).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, _) = app.suggestions(999999, "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn erasing_a_customer_needs_confirmation_and_is_on_the_privacy_log() {
    let app = spawn_app().await;
    let message = json!({"channel": "whatsapp", "external_id": "wamid.9", "visibility": "private",
        "author": {"external_id": "447700900123", "display_name": "Dana"},
        "text": "please forget me", "created_at": "2026-11-30T10:00:00Z"});
    let (_, r) = app.post_messages(&json!([message.clone()])).await;
    let conversation = r["results"][0]["conversation_id"].as_i64().unwrap();
    let (_, c) = app.get_conversation(conversation).await;
    let contact = c["conversation"]["contact_id"].as_i64().unwrap();
    let (s, _) = app.export_contact(contact).await;
    assert_eq!(s, StatusCode::OK);

    let (s, e) = app.delete_contact(contact).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["code"], "erase_not_confirmed");
    assert!(
        app.get_contact(contact).await.0.is_success(),
        "nothing was erased"
    );
    let (s, erased) = app.erase_contact(contact).await;
    assert_eq!(s, StatusCode::OK, "{erased}");
    assert_eq!(
        (erased["messages"].as_u64(), erased["identities"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(app.get_contact(contact).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_conversation(conversation).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, _) = app.erase_contact(contact).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // WhatsApp re-delivers the message: it is not stored again.
    let (s, again) = app.post_messages(&json!([message])).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(
        (again["stored"].as_u64(), again["erased"].as_u64()),
        (Some(0), Some(1)),
        "{again}"
    );
    assert_eq!(again["results"][0]["status"], "erased");

    let (_, log) = app.privacy_log().await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["erase", "export"], "{log}");
    for entry in log.as_array().unwrap() {
        assert_eq!(entry["actor"], "api token \"test\"", "who acted: {log}");
    }
    assert!(!log.to_string().contains("forget me"));
}

#[tokio::test]
async fn the_matcher_is_fitted_on_the_workspace_s_own_contacts() {
    let app = spawn_app().await;
    // Too few contacts: the documented defaults stay.
    let (s, few) = app.fit_matcher().await;
    assert_eq!(s, StatusCode::OK, "{few}");
    assert_eq!(
        (few["records"].as_u64(), few["iterations"].as_u64()),
        (Some(0), Some(0))
    );

    // 1,500 identities of the documented generated population, one message each.
    let population = earshot_core::identity::generate(1_500, 3);
    let messages: Vec<Value> = population
        .records
        .iter()
        .zip(&population.channel)
        .enumerate()
        .map(|(i, (r, channel))| {
            let name = r
                .names
                .first()
                .cloned()
                .unwrap_or_else(|| format!("Guest {i}"));
            let (kind, author) = match *channel {
                "email" => (
                    "email",
                    r.emails
                        .first()
                        .cloned()
                        .unwrap_or(format!("p{i}@gen.example")),
                ),
                "whatsapp" => (
                    "whatsapp",
                    r.phones
                        .first()
                        .cloned()
                        .unwrap_or(format!("4470000{i:05}")),
                ),
                "x" => ("x", format!("x{i}")),
                _ => ("telegram", format!("t{i}")),
            };
            json!({"channel": kind, "external_id": format!("gen-{i}"), "visibility": "private",
                   "author": {"external_id": author, "display_name": name,
                              "handle": r.handles.first()},
                   "text": "hello, where is my order?", "created_at": "2026-11-30T10:00:00Z"})
        })
        .collect();
    for chunk in messages.chunks(500) {
        let (s, r) = app.post_messages(&json!(chunk)).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    }
    let (s, fitted) = app.fit_matcher().await;
    assert_eq!(s, StatusCode::OK, "{fitted}");
    assert!(fitted["records"].as_u64().unwrap() >= 1_000, "{fitted}");
    assert!(
        fitted["iterations"].as_u64().unwrap() > 0,
        "EM ran: {fitted}"
    );
    // Suggestions now score with the fitted parameters.
    let (s, suggested) = app.suggestions(1, "min_score=-50").await;
    assert_eq!(s, StatusCode::OK, "{suggested}");
}

#[tokio::test]
async fn retention_is_set_per_workspace_or_channel_with_clear_errors() {
    let app = spawn_app().await;
    let (s, set) = app.set_retention(json!({"days": 365})).await;
    assert_eq!(s, StatusCode::OK, "{set}");
    assert_eq!(set, json!([{"days": 365}]));
    let (s, e) = app.set_retention(json!({"days": 0})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["message"].as_str().unwrap().contains("`days`"));
    let (s, e) = app
        .set_retention(json!({"days": 30, "channel_id": 999_999}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, e) = app.set_retention(json!({"weeks": 3})).await;
    assert!(s.is_client_error(), "{e}");
    let (s, e) = app.set_retention(json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (_, kept) = app.retention().await;
    assert_eq!(
        kept,
        json!([{"days": 365}]),
        "an empty body removes nothing"
    );
    let (_, removed) = app.set_retention(json!({"days": null})).await;
    assert_eq!(removed, json!([]));
    let (_, got) = app.retention().await;
    assert_eq!(got, json!([]));
}

/// Work per request is bounded, and each bound is a clear `422` naming what and where,
/// before anything is written: a query past 4,096 characters (200,000 `OR` terms once took
/// 12.8 s to preview), 51 tags in one change (100,000 once held the writer for 20 s and ended
/// in a 500), a tag past 64 characters, a reply bigger than the 64 KiB a customer's message
/// may have. What fits still works.
#[tokio::test]
async fn requests_past_their_bounds_are_refused_with_the_bound() {
    let app = spawn_app().await;
    let huge = vec!["refund"; 200_000].join(" OR ");
    let started = std::time::Instant::now();
    let (status, body) = app.preview_topic(json!({ "query": huge })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("at most 4096"), "{body}");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    let (status, _) = app
        .create_topic(json!({"name": "huge", "query": vec!["refund"; 1_000].join(" OR ")}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, r) = app
        .post_messages(&json!([message("b1", "cust", "in", None)]))
        .await;
    let id = r["results"][0]["conversation_id"].as_i64().unwrap();
    let many: Vec<String> = (0..51).map(|i| format!("t{i}")).collect();
    let (status, body) = app.change_tags(id, json!({ "add": many })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("at most 50"), "{body}");
    let (status, body) = app
        .change_tags(id, json!({"add": ["ok", "x".repeat(65)]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("add[1]"), "{body}");
    let (status, body) = app.change_tags(id, json!({"add": ["vip"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["tags"],
        json!(["vip"]),
        "nothing of the refused changes was kept"
    );

    let (_, agent) = app
        .create_agent(json!({"name": "Ana", "email": "ana@acme.test"}))
        .await;
    let (status, body) = app
        .reply(
            id,
            json!({"text": "x".repeat(64 * 1024 + 1), "agent_id": agent["id"], "force": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("64 KiB"), "{body}");
}
