//! Shopify's order webhooks: checked the Shopify way, then decoded into a [`NewOrder`].
//!
//! Shopify POSTs the order (the REST Admin API's Order resource, as JSON) with the topic in
//! `X-Shopify-Topic` and `X-Shopify-Hmac-Sha256`: the base64 HMAC-SHA256 of the raw body,
//! keyed with the app's client secret (or the secret shown with a webhook made in the
//! shop's admin). The body must be checked exactly as received, before it is parsed.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use earshot_core::identifiers::normalize_typed_phone;
use earshot_core::orders::parse::{shopify_status, validate, ItemInput, OrderInput, Scalar};
use earshot_core::orders::{NewOrder, OrderError};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// The header carrying the body's signature.
pub const HMAC_HEADER: &str = "X-Shopify-Hmac-Sha256";
/// The header naming the topic (`orders/create`).
pub const TOPIC_HEADER: &str = "X-Shopify-Topic";

/// The topics whose body is a whole Order. (`orders/edited` sends an order edit and
/// `orders/delete` only an id: neither is an order to store.)
pub const ORDER_TOPICS: &[&str] = &[
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/fulfilled",
    "orders/partially_fulfilled",
];

/// Whether a webhook of `topic` carries an Order [`decode_order`] reads.
pub fn is_order_topic(topic: &str) -> bool {
    ORDER_TOPICS.contains(&topic.trim())
}

/// Checks `X-Shopify-Hmac-Sha256` (`header`): base64 of HMAC-SHA256(`secret`, `body`), the
/// body exactly as received, compared in constant time. A missing, empty or garbled header
/// fails, and so does an empty secret (an unconfigured one proves nothing).
pub fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(sig) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        return false;
    };
    if secret.is_empty() {
        return false;
    }
    let Ok(expected) = B64.decode(sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The header value Shopify would send for `body` (for tests and tools that sign as Shopify
/// does).
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(body);
    B64.encode(mac.finalize().into_bytes())
}

fn error(field: &str, code: &'static str, message: String) -> OrderError {
    OrderError {
        line: None,
        field: field.into(),
        code,
        message,
    }
}

/// A string or number field as text; null, empty or anything else is absent.
fn scalar(v: Option<&Value>) -> Option<Scalar> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(Scalar::from(s.as_str())),
        Value::Number(n) => Some(Scalar::Text(n.to_string())),
        _ => None,
    }
}

/// The first of `paths` (`customer.email`) holding a value, with the path.
fn first<'a>(order: &Value, paths: &[&'a str]) -> (Option<Scalar>, &'a str) {
    for path in paths {
        let v = path.split('.').try_fold(order, |v, key| v.get(key));
        if let Some(s) = scalar(v) {
            return (Some(s), path);
        }
    }
    (None, paths[0])
}

/// Decodes an order webhook's body (the Order resource) into an order:
///
/// - `id` → the external id; `name` (`#1001`) → the number; `customer.id` → the customer ref;
/// - `email`, else `contact_email`, else `customer.email`;
/// - `phone`, else `customer.phone`, else `billing_address.phone` — the first that is an
///   international number. Shops hold national numbers (`(202) 555-0143`) too, which could
///   match the wrong person: such a phone is dropped here, silently, not refused;
/// - `processed_at`, else `created_at` → placed; `updated_at`;
/// - `current_total_price` (after edits and refunds), else `total_price`, in `currency`
///   (else `presentment_currency`), read exactly;
/// - the status from `cancelled_at`, `financial_status` and `fulfillment_status`, see
///   [`shopify_status`];
/// - `line_items[]`: `title` (else `name`), `quantity`, `sku`, `price`.
///
/// An error has no line; its field is named as in Shopify's payload.
pub fn decode_order(body: &[u8]) -> Result<NewOrder, OrderError> {
    let order: Value = serde_json::from_slice(body).map_err(|e| {
        error(
            "body",
            "malformed_field",
            format!("the body is not JSON: {e}"),
        )
    })?;
    if !order.is_object() {
        return Err(error(
            "body",
            "malformed_field",
            "the body is not a Shopify Order object".into(),
        ));
    }
    let (email, email_field) = first(&order, &["email", "contact_email", "customer.email"]);
    let phone = ["phone", "customer.phone", "billing_address.phone"]
        .iter()
        .filter_map(|p| match first(&order, &[*p]).0 {
            Some(Scalar::Text(s)) => normalize_typed_phone(&s),
            _ => None,
        })
        .next();
    let (placed_at, placed_field) = first(&order, &["processed_at", "created_at"]);
    let (amount, amount_field) = first(&order, &["current_total_price", "total_price"]);
    let (currency, currency_field) = first(&order, &["currency", "presentment_currency"]);
    let text = |key: &str| order.get(key).and_then(Value::as_str);
    let cancelled = order
        .get("cancelled_at")
        .is_some_and(|v| !v.is_null() && v.as_str() != Some(""));
    let status = shopify_status(
        text("financial_status"),
        text("fulfillment_status"),
        cancelled,
    )
    .map_err(|m| error("financial_status", "unknown_status", m))?;
    let items = match order.get("line_items") {
        Some(Value::Array(lines)) => lines
            .iter()
            .map(|line| ItemInput {
                name: first(line, &["title", "name"]).0,
                quantity: scalar(line.get("quantity")),
                sku: scalar(line.get("sku")),
                price: scalar(line.get("price")),
            })
            .collect(),
        _ => Vec::new(),
    };
    let input = OrderInput {
        id: scalar(order.get("id")),
        number: scalar(order.get("name")),
        email,
        phone: phone.map(|digits| Scalar::Text(format!("+{digits}"))),
        customer_id: first(&order, &["customer.id"]).0,
        placed_at,
        amount,
        currency,
        status: Some(Scalar::from(status.as_str())),
        items: Some(items),
        updated_at: scalar(order.get("updated_at")),
    };
    validate(input, None).map_err(|mut e| {
        e.field = match e.field.as_str() {
            "number" => "name".into(),
            "email" => email_field.into(),
            "customer_id" => "customer.id".into(),
            "placed_at" => placed_field.into(),
            "amount" => amount_field.into(),
            "currency" => currency_field.into(),
            f => match f.strip_prefix("items") {
                Some(rest) => format!("line_items{}", rest.replace(".name", ".title")),
                None => f.to_owned(),
            },
        };
        e
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use earshot_core::orders::{OrderItem, OrderStatus};

    const FIXTURE: &str = include_str!("../tests/fixtures/shopify/orders_create.json");

    fn fixture() -> Value {
        serde_json::from_str(FIXTURE).unwrap()
    }

    fn decode(v: &Value) -> Result<NewOrder, OrderError> {
        decode_order(&serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn the_documented_payload_decodes_in_full() {
        let o = decode_order(FIXTURE.as_bytes()).unwrap();
        assert_eq!(o.external_id, "5893214470231");
        assert_eq!(o.number.as_deref(), Some("#1001"));
        assert_eq!(o.email.as_deref(), Some("dana.scully@example.com"));
        // No order or customer phone: the billing address's, in E.164.
        assert_eq!(o.phone.as_deref(), Some("12025550143"));
        assert_eq!(o.customer_ref.as_deref(), Some("7251390431575"));
        assert_eq!(
            o.placed_at,
            Utc.with_ymd_and_hms(2026, 11, 29, 15, 15, 3).unwrap()
        );
        assert_eq!(
            o.updated_at,
            Some(Utc.with_ymd_and_hms(2026, 11, 29, 15, 15, 5).unwrap())
        );
        assert_eq!((o.amount_minor, o.currency.as_str()), (19990, "USD"));
        assert_eq!(o.status, OrderStatus::Paid);
        assert_eq!(
            o.items,
            vec![
                OrderItem {
                    name: "Blue mug".into(),
                    quantity: 2,
                    sku: Some("MUG-BLU-L".into()),
                    price_minor: Some(2495),
                },
                OrderItem {
                    name: "Linen apron".into(),
                    quantity: 1,
                    sku: None,
                    price_minor: Some(13500),
                },
            ]
        );
    }

    #[test]
    fn statuses_map_like_shopify() {
        use OrderStatus::*;
        for (financial, fulfillment, cancelled_at, want) in [
            ("paid", None, Some("2026-11-30T09:00:00-05:00"), Cancelled),
            ("refunded", Some("fulfilled"), None, Refunded),
            ("voided", None, None, Cancelled),
            ("paid", Some("fulfilled"), None, Fulfilled),
            ("partially_refunded", Some("partial"), None, Paid),
            ("partially_paid", None, None, Paid),
            ("paid", None, None, Paid),
            ("pending", None, None, Pending),
            ("authorized", None, None, Pending),
        ] {
            let mut v = fixture();
            v["financial_status"] = financial.into();
            v["fulfillment_status"] = fulfillment.into();
            v["cancelled_at"] = cancelled_at.into();
            assert_eq!(
                decode(&v).unwrap().status,
                want,
                "{financial} {fulfillment:?}"
            );
        }
        let mut v = fixture();
        v["financial_status"] = Value::Null;
        assert_eq!(decode(&v).unwrap().status, Pending);
        v["financial_status"] = "chargeback".into();
        let e = decode(&v).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_str()),
            ("unknown_status", "financial_status")
        );
    }

    #[test]
    fn fields_fall_back_in_order() {
        let mut v = fixture();
        let o = v.as_object_mut().unwrap();
        for key in [
            "current_total_price",
            "currency",
            "processed_at",
            "email",
            "contact_email",
        ] {
            o.remove(key);
        }
        o.insert("total_price".into(), "403.00".into());
        o.insert("presentment_currency".into(), "CAD".into());
        o.insert("phone".into(), "+44 7700 900123".into());
        let d = decode(&v).unwrap();
        assert_eq!((d.amount_minor, d.currency.as_str()), (40300, "CAD"));
        assert_eq!(
            d.placed_at,
            Utc.with_ymd_and_hms(2026, 11, 29, 15, 15, 1).unwrap()
        );
        assert_eq!(d.email.as_deref(), Some("dana.scully@example.com"));
        assert_eq!(d.phone.as_deref(), Some("447700900123"));
        // National numbers everywhere: no phone, and no error.
        v["phone"] = "(202) 555-0143".into();
        v["billing_address"]["phone"] = "202-555-0143".into();
        assert_eq!(decode(&v).unwrap().phone, None);
    }

    #[test]
    fn bad_orders_are_errors_named_as_shopify_names_them() {
        let mut v = fixture();
        v.as_object_mut().unwrap().remove("id");
        let e = decode(&v).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_str(), e.line),
            ("missing_field", "id", None)
        );
        let mut v = fixture();
        v["current_total_price"] = "-5.00".into();
        let e = decode(&v).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_str()),
            ("negative_amount", "current_total_price")
        );
        let mut v = fixture();
        v["currency"] = "XBT".into();
        assert_eq!(decode(&v).unwrap_err().code, "unknown_currency");
        let mut v = fixture();
        v["line_items"][1]["price"] = "13.505".into();
        let e = decode(&v).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_str()),
            ("malformed_field", "line_items[1].price")
        );
        let e = decode_order(b"{\"id\": 1,").unwrap_err();
        assert_eq!((e.code, e.field.as_str()), ("malformed_field", "body"));
        assert_eq!(decode_order(b"[1]").unwrap_err().field, "body");
    }

    #[test]
    fn order_topics_are_known() {
        for t in ORDER_TOPICS {
            assert!(is_order_topic(t));
        }
        assert!(!is_order_topic("orders/delete"));
        assert!(!is_order_topic("orders/edited"));
        assert!(!is_order_topic("customers/create"));
    }

    #[test]
    fn signatures_are_verified() {
        let secret = b"shpss_test_secret";
        let body = FIXTURE.as_bytes();
        let header = {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
            mac.update(body);
            B64.encode(mac.finalize().into_bytes())
        };
        assert_eq!(signature(secret, body), header);
        assert!(verify(secret, body, Some(&header)));
        assert!(verify(secret, body, Some(&format!(" {header}\n"))));
        // Computed with `printf '%s' BODY | openssl dgst -sha256 -hmac SECRET -binary | base64`.
        let known = br##"{"id":820982911946154508,"name":"#1001","total_price":"199.90"}"##;
        let vector = "3GhtcgLPL35FYcp1a/a36LRmpdgBoEinR+FVlOhUPTk=";
        assert!(verify(secret, known, Some(vector)));
        assert!(verify(
            secret,
            b"",
            Some("HyJw93NOq92jLVKWHFbzVpUOdSLpvhPt5VGe1MSVNn0=")
        ));
        // A tampered body, another secret, a missing or garbled header: all fail.
        let tampered = br##"{"id":820982911946154508,"name":"#1001","total_price":"1.90"}"##;
        assert!(!verify(secret, tampered, Some(vector)));
        assert!(!verify(b"another_secret", known, Some(vector)));
        assert!(!verify(secret, known, None));
        assert!(!verify(secret, known, Some("")));
        assert!(!verify(secret, known, Some("not base64!")));
        assert!(!verify(secret, known, Some(&vector[..20])));
        assert!(!verify(b"", known, Some(&signature(b"", known))));
    }
}
