//! The customer's preference page: opened from a signed link, it says what is kept and why,
//! and the customer's choices reach the ledger, the contact and the rules.

use crate::helpers::*;
use axum::http::StatusCode;
use serde_json::json;

async fn dana(app: &TestApp) -> i64 {
    let (s, r) = app
        .post_messages(&json!([
                {"channel": "email", "external_id": "<m1@example.com>", "visibility": "private",
                 "author": {"external_id": "dana@example.com", "display_name": "Dana Scully"},
                 "text": "Please stop sending me offers.", "created_at": "2026-11-30T10:00:00Z"},
                {"channel": "whatsapp", "external_id": "wamid.1", "visibility": "private",
                 "author": {"external_id": "447700900123", "display_name": "Dana Scully", "email": "dana@example.com"},
                 "text": "hello", "created_at": "2026-11-30T11:00:00Z"}
            ]))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    let c = r["results"][0]["conversation_id"].as_i64().unwrap();
    app.get_conversation(c).await.1["conversation"]["contact_id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_customer_opens_their_link_reads_what_is_kept_and_their_choices_are_kept() {
    let app = spawn_app().await;
    let id = dana(&app).await;
    let (s, link) = app.preference_link(id, json!({"days": 7})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let url = link["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/preferences/"), "{url}");

    // No account: the link alone opens the page, which says what is kept and why.
    let (s, page) = app.preference_page(&url).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("Hello Dana Scully"), "{page}");
    assert!(page.contains("What we keep about you, and why"), "{page}");
    assert!(page.contains("2 conversations with us"), "{page}");
    assert!(page.contains("WhatsApp 447700900123"), "{page}");
    assert!(page.contains("Co-creation"), "{page}");

    // She keeps updates and research, refuses marketing and surveys, wants WhatsApp.
    let (s, saved) = app
        .save_preferences(
            &url,
            "level=co_creation&channel=whatsapp&updates=yes&research=yes",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert!(saved.contains("your choices are saved"), "{saved}");
    let (_, c) = app.get_contact(id).await;
    assert_eq!(c["engagement_level"], "co_creation", "{c}");
    assert_eq!(c["preferred_channel"], "whatsapp", "{c}");
    assert_eq!(c["opted_out"], false, "updates are still welcome");
    let states: Vec<(String, bool)> = c["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["purpose"].as_str().unwrap().to_string(),
                p["granted"].as_bool().unwrap(),
            )
        })
        .collect();
    let expect: Vec<(String, bool)> = [
        ("support", true),
        ("updates", true),
        ("marketing", false),
        ("surveys", false),
        ("research", true),
    ]
    .iter()
    .map(|(p, g)| (p.to_string(), *g))
    .collect();
    assert_eq!(states, expect);
    let (_, ledger) = app.consent(id).await;
    let entries = ledger.as_array().unwrap();
    assert_eq!(
        entries.len(),
        2,
        "one entry granted, one withdrawn: {ledger}"
    );
    assert!(entries.iter().all(|e| e["how"] == "preference page"));
    // The same choices again add nothing to the ledger.
    app.save_preferences(
        &url,
        "level=co_creation&channel=whatsapp&updates=yes&research=yes",
    )
    .await;
    let (_, again) = app.consent(id).await;
    assert_eq!(again.as_array().unwrap().len(), 2, "{again}");
    // Refusing everything is an opt-out.
    app.save_preferences(&url, "level=service_only&channel=")
        .await;
    let (_, c) = app.get_contact(id).await;
    assert_eq!(
        (c["opted_out"].as_bool(), c["engagement_level"].as_str()),
        (Some(true), Some("service_only"))
    );

    // A channel she never wrote on, or a made-up level, is refused and changes nothing.
    let (s, _) = app
        .save_preferences(&url, "level=co_creation&channel=telegram")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app.save_preferences(&url, "level=superfan").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, c2) = app.get_contact(id).await;
    assert_eq!(c2["engagement_level"], "service_only");

    // Rules can use her level.
    let (s, dry) = app
        .dry_run_rule(json!({"message": {"text": "I have an idea for your app"},
            "contact": {"engagement": "co_creation"},
            "rules": [{"name": "ideas to the product team", "trigger": {"event": "message_received"},
                       "conditions": {"field": "contact.engagement", "op": "eq", "value": "co_creation"},
                       "actions": [{"type": "add_tag", "tag": "co-creator"}]}]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["rules"][0]["fires"], true, "{dry}");
}

#[tokio::test]
async fn a_changed_or_expired_link_opens_nothing_and_says_why() {
    let app = spawn_app().await;
    let id = dana(&app).await;
    let (_, link) = app.preference_link(id, json!({})).await;
    let url = link["url"].as_str().unwrap().to_string();
    // Another contact's id in the link: the signature no longer matches.
    let (ws, rest) = url
        .trim_start_matches("/preferences/")
        .split_once('.')
        .unwrap();
    let (_, rest) = rest.split_once('.').unwrap();
    let forged = format!("/preferences/{ws}.{}.{rest}", id + 1);
    let (s, page) = app.preference_page(&forged).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("This link does not work"), "{page}");
    let (s, _) = app.save_preferences(&forged, "level=advocate").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a forged link saves nothing");
    let expired = app.state.channels.preference_link_until(
        earshot_core::WorkspaceId(1),
        earshot_core::ContactId(id),
        earshot_core::time::now() - chrono::Duration::minutes(1),
    );
    let (s, page) = app.preference_page(&expired).await;
    assert_eq!(s, StatusCode::GONE, "{page}");
    assert!(page.contains("This link has expired"), "{page}");
    // Bad requests for a link are named.
    let (s, e) = app.preference_link(id, json!({"days": 365})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _) = app.preference_link(999999, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Erased, the person's link finds nothing.
    let (s, _) = app.erase_contact(id).await;
    assert_eq!(s, StatusCode::OK);
    let (s, page) = app.preference_page(&url).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{page}");
    assert!(!page.contains("Dana"), "{page}");
}
