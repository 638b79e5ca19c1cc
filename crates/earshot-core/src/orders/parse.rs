//! Loose input — an API body, a CSV or JSON-lines file, a shop's webhook — made into
//! validated [`NewOrder`]s, or an [`OrderError`] naming the line, the field and what was
//! expected.
//!
//! # Fields
//!
//! An order (a JSON object, one line of a JSON-lines file, or one CSV row whose header names
//! these columns, case-insensitively) has:
//!
//! | field | | |
//! | --- | --- | --- |
//! | `id` | required | the shop's id of the order, a string or a number, at most 128 characters; the same id again updates the order |
//! | `number` | optional | what the customer calls it (`#1001`), a string or a number |
//! | `email` | optional | the buyer's email address |
//! | `phone` | optional | the buyer's phone number, with its country code (`+44 7700 900123`) |
//! | `customer_id` | optional | the shop's id of the customer, a string or a number |
//! | `placed_at` | required | RFC 3339 (`2024-11-03T10:15:00+01:00`), `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DD HH:MM:SS +HHMM` or `YYYY-MM-DD` (midnight UTC) |
//! | `amount` | required | the total, a string (`"199.90"`) or a JSON number (`199.9`), never more decimals than the currency has |
//! | `currency` | required | an ISO 4217 code, any case (`usd`) |
//! | `status` | optional | `pending`, `paid` (the default), `fulfilled`, `cancelled` or `refunded`, any case |
//! | `items` | optional | an array of `{name, quantity (default 1), sku, price}`; in CSV one cell, `Blue mug x2; Tea towel` |
//! | `updated_at` | optional | when the shop last changed it, in the forms of `placed_at` |
//!
//! Other fields are ignored (shops export many columns). Empty strings and empty CSV cells
//! count as absent. CSV also reads Shopify's order export: `Id`, `Name` (the number),
//! `Email`, `Phone` (or `Billing Phone`), `Created at`, `Total`, `Currency`, `Financial
//! Status` with `Fulfillment Status` and `Cancelled at` (mapped like Shopify's webhooks, see
//! [`shopify_status`]) and the `Lineitem name`/`quantity`/`price`/`sku` columns; the rows
//! Shopify adds for an order's further line items (same `Name`, no total or date) are folded
//! into that order. Shops keep national phone numbers, so in a Shopify export a phone that
//! is not international is dropped rather than refused.
//!
//! Error codes: `missing_field`, `malformed_field`, `unknown_currency`, `negative_amount`,
//! `unknown_status`, `duplicate_order` (one API call naming an id twice), `too_many`.

mod file;
#[cfg(test)]
mod tests;

pub use file::{FileFormat, OrderReader, MAX_LINE_BYTES};

use super::{currency, NewOrder, OrderError, OrderItem, OrderStatus};
use crate::identifiers::{normalize_email, normalize_typed_phone};
use crate::time::Timestamp;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;

/// Most orders one API call (or one [`from_json`] document) may hold.
pub const MAX_ORDERS_PER_CALL: usize = 10_000;
/// Longest `id`, `number`, `customer_id` or `sku`, in characters.
pub const MAX_ID_CHARS: usize = 128;
/// Most items one order may list.
pub const MAX_ITEMS: usize = 1_000;

/// A JSON scalar kept as its text: a string as is, a number as serde_json writes it (`199.9`
/// stays `199.9`, never a rounded float), `true`/`false`. An array or object where one value
/// belongs is kept as [`Scalar::Invalid`], so that the error can name the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Text(String),
    /// What was found instead (`an array`, `an object`).
    Invalid(&'static str),
}

impl From<&str> for Scalar {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Scalar {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Text(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                // serde_json's own shortest round-trip text: 199.9 reads back as `199.9`.
                Ok(serde_json::Number::from_f64(v)
                    .map_or(Scalar::Invalid("not a finite number"), |n| {
                        Scalar::Text(n.to_string())
                    }))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Text(String::new()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Invalid("an array"))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Invalid("an object"))
            }
        }
        d.deserialize_any(V)
    }
}

/// An order as given, before validation; see the [module documentation](self) for the
/// fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct OrderInput {
    pub id: Option<Scalar>,
    pub number: Option<Scalar>,
    pub email: Option<Scalar>,
    pub phone: Option<Scalar>,
    pub customer_id: Option<Scalar>,
    pub placed_at: Option<Scalar>,
    pub amount: Option<Scalar>,
    pub currency: Option<Scalar>,
    pub status: Option<Scalar>,
    pub items: Option<Vec<ItemInput>>,
    pub updated_at: Option<Scalar>,
}

/// One item of an [`OrderInput`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ItemInput {
    pub name: Option<Scalar>,
    /// A whole number, at least 1; 1 when absent.
    pub quantity: Option<Scalar>,
    pub sku: Option<Scalar>,
    /// The unit price, read like the order's amount.
    pub price: Option<Scalar>,
}

struct Ctx {
    line: Option<usize>,
}

impl Ctx {
    fn err(&self, field: &str, code: &'static str, message: String) -> OrderError {
        OrderError {
            line: self.line,
            field: field.to_owned(),
            code,
            message,
        }
    }

    /// The trimmed text of a field; empty is absent.
    fn text(&self, field: &str, v: Option<Scalar>) -> Result<Option<String>, OrderError> {
        match v {
            None => Ok(None),
            // PostgreSQL stores no NUL character: refused here, for both databases alike.
            Some(Scalar::Text(s)) if s.contains('\0') => Err(self.err(
                field,
                "control_character",
                format!("`{field}` contains a NUL character (U+0000)"),
            )),
            Some(Scalar::Text(s)) => {
                let t = s.trim();
                Ok((!t.is_empty()).then(|| t.to_owned()))
            }
            Some(Scalar::Invalid(what)) => Err(self.err(
                field,
                "malformed_field",
                format!("`{field}` must be a string or a number, not {what}"),
            )),
        }
    }

    fn required(&self, field: &str, v: Option<Scalar>, what: &str) -> Result<String, OrderError> {
        self.text(field, v)?.ok_or_else(|| {
            self.err(
                field,
                "missing_field",
                format!("`{field}` is required: {what}"),
            )
        })
    }

    fn short(&self, field: &str, v: Option<Scalar>) -> Result<Option<String>, OrderError> {
        let t = self.text(field, v)?;
        match t {
            Some(s) if s.chars().count() > MAX_ID_CHARS => Err(self.err(
                field,
                "malformed_field",
                format!(
                    "{field} `{}` is {} characters long; at most {MAX_ID_CHARS} are allowed",
                    shown(&s),
                    s.chars().count()
                ),
            )),
            other => Ok(other),
        }
    }

    fn time(&self, field: &str, text: &str) -> Result<Timestamp, OrderError> {
        parse_time(text).ok_or_else(|| {
            self.err(
                field,
                "malformed_field",
                format!(
                    "{field} `{}` is not a date; expected RFC 3339 (2024-11-03T10:15:00Z), \
                     `YYYY-MM-DD HH:MM:SS` (UTC) or `YYYY-MM-DD`",
                    shown(text)
                ),
            )
        })
    }

    fn amount(&self, field: &str, text: &str, cur: &str) -> Result<i64, OrderError> {
        currency::parse_amount(text, cur).map_err(|e| match e {
            currency::AmountError::Negative => self.err(
                field,
                "negative_amount",
                format!(
                    "{field} `{}` is negative; a refund is the status `refunded`, not a negative amount",
                    shown(text)
                ),
            ),
            other => self.err(
                field,
                "malformed_field",
                format!("{field} `{}` is not an amount in {cur}: {other}", shown(text)),
            ),
        })
    }
}

/// A value as quoted in a message: at most 60 characters.
fn shown(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(60).collect::<String>())
    }
}

/// Reads a time in one of the accepted forms: RFC 3339, `YYYY-MM-DD HH:MM:SS[.fff]` (or
/// with a `T`) taken as UTC, `YYYY-MM-DD HH:MM:SS +HHMM` (Shopify's exports) or
/// `YYYY-MM-DD` (midnight UTC).
pub fn parse_time(text: &str) -> Option<Timestamp> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f %z") {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc())
}

/// An order status as written (`Paid`, `CANCELLED`, `canceled`).
pub fn parse_status(text: &str) -> Result<OrderStatus, String> {
    let s = text.trim().to_ascii_lowercase();
    let s = if s == "canceled" {
        "cancelled".into()
    } else {
        s
    };
    s.parse().map_err(|_| {
        format!(
            "status `{}` is not an order status; expected pending, paid, fulfilled, cancelled or refunded",
            shown(text)
        )
    })
}

/// How Shopify's order fields map to a status: cancelled (`cancelled_at` set) or voided is
/// cancelled; refunded in full is refunded; then fulfilled; then paid (`paid`,
/// `partially_paid`, `partially_refunded`); and `pending`, `authorized`, `expired` (never
/// captured) or none is pending. Another financial status is an error, for people.
pub fn shopify_status(
    financial: Option<&str>,
    fulfillment: Option<&str>,
    cancelled: bool,
) -> Result<OrderStatus, String> {
    if cancelled {
        return Ok(OrderStatus::Cancelled);
    }
    let fin = financial
        .map(|s| s.trim().to_ascii_lowercase().replace(' ', "_"))
        .filter(|s| !s.is_empty());
    match fin.as_deref() {
        Some("refunded") => return Ok(OrderStatus::Refunded),
        Some("voided") => return Ok(OrderStatus::Cancelled),
        _ => {}
    }
    if fulfillment.is_some_and(|f| f.trim().eq_ignore_ascii_case("fulfilled")) {
        return Ok(OrderStatus::Fulfilled);
    }
    match fin.as_deref() {
        Some("paid" | "partially_paid" | "partially_refunded") => Ok(OrderStatus::Paid),
        None | Some("pending" | "authorized" | "expired") => Ok(OrderStatus::Pending),
        Some(other) => Err(format!(
            "Shopify financial status `{}` is unknown; expected pending, authorized, partially_paid, \
             paid, partially_refunded, refunded, voided or expired",
            shown(other)
        )),
    }
}

/// Validates one order. `line` is where it was (a file's line, an array's index), for the
/// error.
pub fn validate(input: OrderInput, line: Option<usize>) -> Result<NewOrder, OrderError> {
    let cx = Ctx { line };
    let id = cx.required("id", input.id, "the shop's id of the order")?;
    if id.chars().count() > MAX_ID_CHARS {
        return Err(cx.err(
            "id",
            "malformed_field",
            format!(
                "id `{}` is {} characters long; at most {MAX_ID_CHARS} are allowed",
                shown(&id),
                id.chars().count()
            ),
        ));
    }
    let number = cx.short("number", input.number)?;
    let placed_at = cx.required(
        "placed_at",
        input.placed_at,
        "when the order was placed (2024-11-03T10:15:00Z)",
    )?;
    let placed_at = cx.time("placed_at", &placed_at)?;
    let cur = cx.required("currency", input.currency, "an ISO 4217 code (USD, EUR, …)")?;
    let cur_upper = cur.to_ascii_uppercase();
    if !currency::is_known(&cur_upper) {
        return Err(cx.err(
            "currency",
            "unknown_currency",
            format!("currency `{}` is not an ISO 4217 code", shown(&cur)),
        ));
    }
    let amount = cx.required("amount", input.amount, "the order's total (199.90)")?;
    let amount_minor = cx.amount("amount", &amount, &cur_upper)?;
    let status = match cx.text("status", input.status)? {
        None => OrderStatus::Paid,
        Some(s) => parse_status(&s).map_err(|m| cx.err("status", "unknown_status", m))?,
    };
    let email = match cx.text("email", input.email)? {
        None => None,
        Some(e) => Some(normalize_email(&e).ok_or_else(|| {
            cx.err(
                "email",
                "malformed_field",
                format!("email `{}` is not an email address", shown(&e)),
            )
        })?),
    };
    let phone = match cx.text("phone", input.phone)? {
        None => None,
        Some(p) => Some(normalize_typed_phone(&p).ok_or_else(|| {
            cx.err(
                "phone",
                "malformed_field",
                format!(
                    "phone `{}` is not an international phone number; expected one with its \
                     country code (+44 7700 900123)",
                    shown(&p)
                ),
            )
        })?),
    };
    let customer_ref = cx.short("customer_id", input.customer_id)?;
    let updated_at = match cx.text("updated_at", input.updated_at)? {
        None => None,
        Some(t) => Some(cx.time("updated_at", &t)?),
    };
    let raw_items = input.items.unwrap_or_default();
    if raw_items.len() > MAX_ITEMS {
        return Err(cx.err(
            "items",
            "malformed_field",
            format!("{} items; at most {MAX_ITEMS} per order", raw_items.len()),
        ));
    }
    let mut items = Vec::with_capacity(raw_items.len());
    for (i, item) in raw_items.into_iter().enumerate() {
        let f = |name: &str| format!("items[{i}].{name}");
        let name = cx.required(&f("name"), item.name, "what the item is")?;
        let quantity = match cx.text(&f("quantity"), item.quantity)? {
            None => 1,
            Some(q) => q.parse::<u32>().ok().filter(|&q| q >= 1).ok_or_else(|| {
                cx.err(
                    &f("quantity"),
                    "malformed_field",
                    format!(
                        "quantity `{}` is not a whole number of at least 1",
                        shown(&q)
                    ),
                )
            })?,
        };
        let sku = cx.short(&f("sku"), item.sku)?;
        let price_minor = match cx.text(&f("price"), item.price)? {
            None => None,
            Some(p) => Some(cx.amount(&f("price"), &p, &cur_upper)?),
        };
        items.push(OrderItem {
            name,
            quantity,
            sku,
            price_minor,
        });
    }
    Ok(NewOrder {
        external_id: id,
        number,
        email,
        phone,
        customer_ref,
        placed_at,
        amount_minor,
        currency: cur_upper,
        status,
        items,
        updated_at,
    })
}

fn not_an_order(line: Option<usize>, e: impl fmt::Display) -> OrderError {
    OrderError {
        line,
        field: "record".into(),
        code: "malformed_field",
        message: format!("not an order object: {e}"),
    }
}

pub(super) fn from_value(
    value: serde_json::Value,
    line: Option<usize>,
) -> Result<NewOrder, OrderError> {
    if !value.is_object() {
        return Err(not_an_order(line, "expected a JSON object"));
    }
    let input = serde_json::from_value(value).map_err(|e| not_an_order(line, e))?;
    validate(input, line)
}

/// The orders of an API body: one order object, an array of them, or `{"orders": [...]}`.
/// In an array, an error's `line` is the 0-based index. At most [`MAX_ORDERS_PER_CALL`]
/// orders (`too_many`); an id given twice is `duplicate_order`.
pub fn from_json(value: serde_json::Value) -> Result<Vec<NewOrder>, OrderError> {
    let list = match value {
        serde_json::Value::Array(list) => list,
        serde_json::Value::Object(mut map) if map.contains_key("orders") => {
            match map.remove("orders") {
                Some(serde_json::Value::Array(list)) => list,
                _ => {
                    return Err(OrderError {
                        line: None,
                        field: "orders".into(),
                        code: "malformed_field",
                        message: "`orders` must be an array of order objects".into(),
                    })
                }
            }
        }
        single => return Ok(vec![from_value(single, None)?]),
    };
    if list.len() > MAX_ORDERS_PER_CALL {
        return Err(OrderError {
            line: None,
            field: "orders".into(),
            code: "too_many",
            message: format!(
                "{} orders in one call; at most {MAX_ORDERS_PER_CALL} are allowed",
                list.len()
            ),
        });
    }
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(list.len());
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.into_iter().enumerate() {
        let order = from_value(v, Some(i))?;
        if let Some(first) = seen.insert(order.external_id.clone(), i) {
            return Err(OrderError {
                line: Some(i),
                field: "id".into(),
                code: "duplicate_order",
                message: format!(
                    "id `{}` was already given at index {first}; each order once per call",
                    shown(&order.external_id)
                ),
            });
        }
        out.push(order);
    }
    Ok(out)
}
