//! Tests of validation and of API bodies.

use super::*;
use chrono::TimeZone;
use serde_json::json;

fn order(v: serde_json::Value) -> Result<NewOrder, OrderError> {
    validate(serde_json::from_value(v).unwrap(), Some(7))
}

fn base() -> serde_json::Value {
    json!({"id": "A1", "placed_at": "2024-11-03T10:15:00Z", "amount": "199.90", "currency": "usd"})
}

fn with(key: &str, value: serde_json::Value) -> serde_json::Value {
    let mut v = base();
    v[key] = value;
    v
}

fn without(key: &str) -> serde_json::Value {
    let mut v = base();
    v.as_object_mut().unwrap().remove(key);
    v
}

fn code(r: Result<NewOrder, OrderError>) -> (&'static str, String) {
    let e = r.unwrap_err();
    (e.code, e.field)
}

#[test]
fn a_full_order_is_normalized() {
    let o = order(json!({
        "id": 5940139491234_u64, "number": "#1001", "email": " Dana@Example.COM",
        "phone": "+44 7700 900123", "customer_id": 77, "placed_at": "2024-11-03 10:15:00",
        "amount": 199.9, "currency": "eur", "status": "Fulfilled",
        "items": [{"name": "Blue mug", "quantity": 2, "sku": "MUG-B", "price": "12.5"},
                  {"name": "Tea towel"}],
        "updated_at": "2024-11-04", "shop_note": "ignored"
    }))
    .unwrap();
    assert_eq!(o.external_id, "5940139491234");
    assert_eq!(o.number.as_deref(), Some("#1001"));
    assert_eq!(o.email.as_deref(), Some("dana@example.com"));
    assert_eq!(o.phone.as_deref(), Some("447700900123"));
    assert_eq!(o.customer_ref.as_deref(), Some("77"));
    assert_eq!(
        o.placed_at,
        Utc.with_ymd_and_hms(2024, 11, 3, 10, 15, 0).unwrap()
    );
    assert_eq!((o.amount_minor, o.currency.as_str()), (19990, "EUR"));
    assert_eq!(o.status, OrderStatus::Fulfilled);
    assert_eq!(
        o.items,
        vec![
            OrderItem {
                name: "Blue mug".into(),
                quantity: 2,
                sku: Some("MUG-B".into()),
                price_minor: Some(1250),
            },
            OrderItem {
                name: "Tea towel".into(),
                quantity: 1,
                sku: None,
                price_minor: None
            },
        ]
    );
    assert_eq!(
        o.updated_at,
        Some(Utc.with_ymd_and_hms(2024, 11, 4, 0, 0, 0).unwrap())
    );
    // Defaults: paid, no items; empty strings are absent.
    let o = order(with("email", json!(""))).unwrap();
    assert_eq!(
        (o.status, o.items.len(), o.email),
        (OrderStatus::Paid, 0, None)
    );
}

#[test]
fn each_date_form_is_read() {
    let t = |s: &str| parse_time(s).map(|t| t.to_rfc3339());
    assert_eq!(
        t("2026-11-29T10:15:03-05:00").as_deref(),
        Some("2026-11-29T15:15:03+00:00")
    );
    assert_eq!(
        t("2024-11-03T10:15:00Z").as_deref(),
        Some("2024-11-03T10:15:00+00:00")
    );
    assert_eq!(
        t("2024-11-03T10:15:00.250Z").as_deref(),
        Some("2024-11-03T10:15:00.250+00:00")
    );
    assert_eq!(
        t("2024-11-03 10:15:00").as_deref(),
        Some("2024-11-03T10:15:00+00:00")
    );
    assert_eq!(
        t("2025-10-07 09:50:26 +0200").as_deref(),
        Some("2025-10-07T07:50:26+00:00")
    );
    assert_eq!(
        t(" 2024-11-03 ").as_deref(),
        Some("2024-11-03T00:00:00+00:00")
    );
    for bad in [
        "03/11/2024",
        "2024-13-01",
        "2024-11-03 25:00:00",
        "yesterday",
        "1730628900",
    ] {
        assert_eq!(t(bad), None, "{bad}");
    }
    let (c, f) = code(order(with("placed_at", json!("03/11/2024"))));
    assert_eq!((c, f.as_str()), ("malformed_field", "placed_at"));
    let (c, f) = code(order(with("updated_at", json!("soon"))));
    assert_eq!((c, f.as_str()), ("malformed_field", "updated_at"));
}

#[test]
fn missing_fields_are_named() {
    for key in ["id", "placed_at", "amount", "currency"] {
        let e = order(without(key)).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_str(), e.line),
            ("missing_field", key, Some(7))
        );
        assert!(e.message.contains("is required"), "{}", e.message);
    }
    let (c, f) = code(order(with("id", json!("  "))));
    assert_eq!((c, f.as_str()), ("missing_field", "id"));
    let (c, f) = code(order(with("items", json!([{"quantity": 2}]))));
    assert_eq!((c, f.as_str()), ("missing_field", "items[0].name"));
}

#[test]
fn currencies_must_be_known() {
    let e = order(with("currency", json!("XYZ"))).unwrap_err();
    assert_eq!((e.code, e.field.as_str()), ("unknown_currency", "currency"));
    assert_eq!(e.message, "currency `XYZ` is not an ISO 4217 code");
    assert_eq!(
        order(with("currency", json!("jpy"))).unwrap_err().field,
        "amount"
    );
    let o = order(json!({"id": 1, "placed_at": "2024-01-01", "amount": 1500, "currency": "JPY"}));
    assert_eq!(o.unwrap().amount_minor, 1500);
}

#[test]
fn negative_and_malformed_amounts_are_refused() {
    let e = order(with("amount", json!("-5.00"))).unwrap_err();
    assert_eq!((e.code, e.field.as_str()), ("negative_amount", "amount"));
    assert!(e.message.contains("`-5.00`"), "{}", e.message);
    assert_eq!(code(order(with("amount", json!(-5)))).0, "negative_amount");
    for bad in [
        json!("19.999"),
        json!("1,999.00"),
        json!(1e21),
        json!(true),
        json!("abc"),
    ] {
        let e = order(with("amount", bad.clone())).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_str()),
            ("malformed_field", "amount"),
            "{bad}"
        );
    }
    let e = order(with("amount", json!([1]))).unwrap_err();
    assert!(e.message.contains("not an array"), "{}", e.message);
    let items = json!([{"name": "Mug", "price": "-1"}]);
    assert_eq!(
        code(order(with("items", items))),
        ("negative_amount", "items[0].price".into())
    );
}

#[test]
fn statuses_are_checked() {
    for (given, want) in [
        ("PAID", OrderStatus::Paid),
        ("pending", OrderStatus::Pending),
        ("canceled", OrderStatus::Cancelled),
        (" Refunded ", OrderStatus::Refunded),
    ] {
        assert_eq!(
            order(with("status", json!(given))).unwrap().status,
            want,
            "{given}"
        );
    }
    let e = order(with("status", json!("shipped"))).unwrap_err();
    assert_eq!((e.code, e.field.as_str()), ("unknown_status", "status"));
    assert!(e.message.contains("`shipped`") && e.message.contains("fulfilled"));
}

#[test]
fn malformed_fields_are_refused() {
    for (key, value) in [
        ("email", json!("dana@")),
        ("phone", json!("07700 900123")),
        ("id", json!("x".repeat(129))),
        ("number", json!({"a": 1})),
        ("items", json!([{"name": "Mug", "quantity": 0}])),
        ("items", json!([{"name": "Mug", "quantity": "two"}])),
    ] {
        let e = order(with(key, value)).unwrap_err();
        assert_eq!(e.code, "malformed_field", "{key}: {e}");
        assert!(e.field.starts_with(key), "{key}: {e}");
    }
    assert!(order(with("id", json!("x".repeat(128)))).is_ok());
    // A wrong shape for `items` is a malformed record.
    let e = from_json(with("items", json!("Mug x2"))).unwrap_err();
    assert_eq!((e.code, e.field.as_str()), ("malformed_field", "record"));
}

#[test]
fn shopify_statuses_map_like_shopify() {
    use OrderStatus::*;
    for (fin, ful, cancelled, want) in [
        (Some("paid"), None, true, Cancelled),
        (Some("refunded"), Some("fulfilled"), false, Refunded),
        (Some("voided"), None, false, Cancelled),
        (Some("paid"), Some("fulfilled"), false, Fulfilled),
        (Some("partially_refunded"), Some("partial"), false, Paid),
        (Some("Partially paid"), None, false, Paid),
        (Some("authorized"), None, false, Pending),
        (None, None, false, Pending),
    ] {
        assert_eq!(
            shopify_status(fin, ful, cancelled),
            Ok(want),
            "{fin:?} {ful:?}"
        );
    }
    assert!(shopify_status(Some("mystery"), None, false).is_err());
}

#[test]
fn api_bodies_take_three_shapes() {
    let one = from_json(base()).unwrap();
    assert_eq!(one.len(), 1);
    let list = json!([base(), with("id", json!("A2"))]);
    assert_eq!(from_json(list.clone()).unwrap().len(), 2);
    assert_eq!(
        from_json(json!({ "orders": list })).unwrap()[1].external_id,
        "A2"
    );
    let e = from_json(json!([base(), without("amount")])).unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (Some(1), "amount"));
    assert_eq!(from_json(base()).map_err(|e| e.line), Ok(one));
    let e = from_json(json!({"orders": "none"})).unwrap_err();
    assert_eq!((e.field.as_str(), e.code), ("orders", "malformed_field"));
    let e = from_json(json!([base(), 5])).unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (Some(1), "record"));
}

#[test]
fn an_id_twice_in_one_call_is_a_duplicate() {
    let e = from_json(json!([base(), with("id", json!("B")), base()])).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_str(), e.line),
        ("duplicate_order", "id", Some(2))
    );
    assert!(e.message.contains("index 0"), "{}", e.message);
}

#[test]
fn too_many_orders_in_one_call_are_refused() {
    let list: Vec<_> = (0..=MAX_ORDERS_PER_CALL)
        .map(|i| with("id", json!(i)))
        .collect();
    let e = from_json(serde_json::Value::Array(list)).unwrap_err();
    assert_eq!(
        (e.code, e.field.as_str(), e.line),
        ("too_many", "orders", None)
    );
}

#[test]
fn a_nul_character_or_a_national_number_is_refused_by_name() {
    assert_eq!(
        code(order(with("id", json!("A\u{0}1")))),
        ("control_character", "id".to_string())
    );
    // Without its country code a typed number could be anyone's abroad.
    assert_eq!(
        code(order(with("phone", json!("2025550143")))),
        ("malformed_field", "phone".to_string())
    );
    assert_eq!(
        order(with("phone", json!("+1 202 555 0143")))
            .unwrap()
            .phone
            .as_deref(),
        Some("12025550143")
    );
}
