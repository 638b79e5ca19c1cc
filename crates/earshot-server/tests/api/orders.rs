//! Orders: pushed to the API or sent by a shop's webhook, matched to the customer who wrote,
//! their value on the customer's record; bad orders named and nothing half-stored.

use crate::helpers::*;
use axum::http::StatusCode;
use serde_json::json;

const SHOPIFY_ORDER: &str =
    include_str!("../../../earshot-channels/tests/fixtures/shopify/orders_create.json");

async fn customer(app: &TestApp, email: &str, name: &str) -> i64 {
    let (s, r) = app
        .post_messages(
            &json!({"channel": "email", "external_id": format!("<{email}>"),
            "visibility": "private", "author": {"external_id": email, "display_name": name},
            "text": "Where is my order #1001?", "created_at": "2026-11-30T10:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{r}");
    let c = r["results"][0]["conversation_id"].as_i64().unwrap();
    app.get_conversation(c).await.1["conversation"]["contact_id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn orders_pushed_to_the_api_give_the_customer_their_value_and_bad_ones_are_named() {
    let app = spawn_app().await;
    let dana = customer(&app, "dana.scully@example.com", "Dana Scully").await;
    let (s, r) = app
        .post_orders(json!([
                {"id": 1001, "number": "#1001", "email": "Dana.Scully@Example.com", "placed_at": "2026-11-20",
                 "amount": "120.00", "currency": "usd", "status": "paid",
                 "items": [{"name": "Blue mug", "quantity": 2, "price": "60.00"}]},
                {"id": "1002", "email": "dana.scully@example.com", "placed_at": "2026-11-25T09:30:00Z",
                 "amount": 30.5, "currency": "USD", "status": "fulfilled"},
                {"id": "1003", "email": "someone.else@example.com", "placed_at": "2026-11-26",
                 "amount": "9.99", "currency": "USD"}
            ]))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["created"].as_u64(), r["matched"].as_u64()),
        (Some(3), Some(2)),
        "{r}"
    );

    let (_, c) = app.get_contact(dana).await;
    assert_eq!(c["value"], 150.5, "{c}");
    assert_eq!(c["value_from_orders"], true);
    assert_eq!(c["tier"], "repeat", "two orders: a repeat customer");
    assert_eq!(c["orders"]["order_count"], 2);
    assert_eq!(
        c["orders"]["open_orders"], 1,
        "the paid one is not fulfilled yet"
    );
    assert_eq!(c["orders"]["lifetime_value"][0]["amount"], "150.50");
    assert_eq!(c["recent_orders"][0]["external_id"], "1002", "newest first");
    let (_, listed) = app.contact_orders(dana).await;
    assert_eq!(listed["orders"].as_array().unwrap().len(), 2);
    assert_eq!(listed["orders"][1]["items"][0]["price_minor"], 6000);
    let id = listed["orders"][1]["id"].as_i64().unwrap();
    let (s, one) = app.get_order(id).await;
    assert_eq!((s, one["number"].as_str()), (StatusCode::OK, Some("#1001")));
    let (s, _) = app.get_as_other(&format!("/api/v1/orders/{id}")).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "another workspace's order is not there"
    );

    // The value comes from the orders: typing one is refused.
    let (s, e) = app.update_contact(dana, json!({"value": 1e6})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    // Bad orders are named, and nothing of their call is stored.
    for (order, code, field) in [
        (
            json!({"id": "x1", "placed_at": "2026-11-26", "amount": "5", "currency": "XYZ"}),
            "unknown_currency",
            "currency",
        ),
        (
            json!({"id": "x2", "placed_at": "2026-11-26", "amount": "-5.00", "currency": "EUR"}),
            "negative_amount",
            "amount",
        ),
        (
            json!({"id": "x3", "placed_at": "2026-11-26", "amount": "5.999", "currency": "EUR"}),
            "malformed_field",
            "amount",
        ),
        (
            json!({"id": "x4", "placed_at": "yesterday", "amount": "5", "currency": "EUR"}),
            "malformed_field",
            "placed_at",
        ),
        (
            json!({"placed_at": "2026-11-26", "amount": "5", "currency": "EUR"}),
            "missing_field",
            "id",
        ),
    ] {
        let good =
            json!({"id": "ok-1", "placed_at": "2026-11-26", "amount": "5", "currency": "EUR"});
        let (s, e) = app.post_orders(json!([good, order])).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(
            (e["code"].as_str(), e["field"].as_str()),
            (Some(code), Some(field)),
            "{e}"
        );
        assert_eq!(e["index"], 1, "{e}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("orders[1].{field}")),
            "{e}"
        );
    }
    let (_, after) = app.get_contact(dana).await;
    assert_eq!(
        after["orders"], c["orders"],
        "nothing of the refused calls was stored"
    );
}

#[tokio::test]
async fn a_shopify_order_webhook_is_verified_stored_once_and_found_on_the_customer() {
    let app = spawn_app().await;
    let dana = customer(&app, "dana.scully@example.com", "Dana Scully").await;
    let (s, ch) = app
        .create_channel(json!({"kind": "shopify", "name": "Acme shop",
            "settings": {"webhook_secret": "shpss_s3cret", "shop_domain": "acme.myshopify.com"}}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ch}");
    assert!(
        !ch.to_string().contains("shpss_s3cret"),
        "the secret is never returned"
    );
    let url = ch["webhook_url"].as_str().unwrap().to_string();
    let body = SHOPIFY_ORDER.as_bytes().to_vec();
    let call = |signature: String, topic: &str, body: Vec<u8>| {
        let app = &app;
        let url = url.clone();
        let headers = vec![
            ("content-type", "application/json".to_string()),
            ("x-shopify-hmac-sha256", signature),
            ("x-shopify-topic", topic.to_string()),
            ("x-shopify-shop-domain", "acme.myshopify.com".to_string()),
        ];
        async move { app.webhook(&url, &headers, &body).await }
    };
    let good = earshot_channels::shopify::signature(b"shpss_s3cret", &body);
    let (s, r) = call(good.clone(), "orders/create", body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(r.contains("\"stored\""), "{r}");
    // Shopify retries: the same order is stored once.
    let (s, r) = call(good.clone(), "orders/create", body.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(r.contains("\"unchanged\":1"), "{r}");
    // Forged, tampered or unsigned calls are refused.
    let forged = earshot_channels::shopify::signature(b"guessed", &body);
    assert_eq!(
        call(forged, "orders/create", body.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let tampered = SHOPIFY_ORDER.replace("199.90", "1.00").into_bytes();
    assert_eq!(
        call(good.clone(), "orders/create", tampered).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(String::new(), "orders/create", body.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Another shop signing with the same (app) secret is refused.
    let other_shop = vec![
        ("content-type", "application/json".to_string()),
        ("x-shopify-hmac-sha256", good.clone()),
        ("x-shopify-topic", "orders/create".to_string()),
        ("x-shopify-shop-domain", "globex.myshopify.com".to_string()),
    ];
    let (s, r) = app.webhook(&url, &other_shop, &body).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
    // A genuine call that is no valid order is acknowledged (a retry would not mend it),
    // refused, and stores nothing.
    let bad = SHOPIFY_ORDER
        .replace("\"USD\"", "\"XYZ\"")
        .replace("5893214470231", "5893214470232");
    let sig = earshot_channels::shopify::signature(b"shpss_s3cret", bad.as_bytes());
    let (s, r) = call(sig, "orders/updated", bad.into_bytes()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(
        r.contains("\"refused\"") && r.contains("unknown_currency"),
        "{r}"
    );
    // Another topic is acknowledged and ignored.
    let customer_body = br#"{"id": 1, "email": "x@example.com"}"#.to_vec();
    let sig = earshot_channels::shopify::signature(b"shpss_s3cret", &customer_body);
    let (s, r) = call(sig, "customers/create", customer_body).await;
    assert_eq!(s, StatusCode::OK);
    assert!(r.contains("ignored"), "{r}");

    let (_, c) = app.get_contact(dana).await;
    assert_eq!(c["value"], 199.9, "{c}");
    assert_eq!(c["recent_orders"][0]["number"], "#1001");
    assert_eq!(c["recent_orders"][0]["source"], "shopify");
    assert_eq!(c["recent_orders"][0]["items"].as_array().unwrap().len(), 2);
    // A shop channel answers nobody.
    let (_, listed) = app.list_channels().await;
    assert_eq!(listed[0]["kind"], "shopify", "{listed}");
}
