//! The customer's orders, beside their words: what the brand's shop sold them, matched to the
//! contact through the same strong identifiers that join their identities (email address,
//! phone number), and what follows from them — lifetime value, order count, last order, open
//! orders — which priority and rules read instead of a value typed by hand.
//!
//! Orders arrive from a file (`earshot import orders FILE`, CSV or JSON lines), the API
//! (`POST /api/v1/orders`) or a shop's webhook (Shopify's order webhooks). Each is validated
//! here, before anything is written: an unknown currency, a negative amount or a missing id
//! is an [`OrderError`] naming the field and the line.

pub mod currency;
pub mod mentions;
pub mod parse;
pub mod synth;

use crate::time::Timestamp;
use crate::{ContactId, WorkspaceId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The most orders one read returns (a contact's page shows fewer; an export takes them all
/// up to this).
pub const MAX_ORDERS_READ: u32 = 10_000;

/// Where an order is in its life. Cancelled and refunded orders count towards nothing; an
/// order is *open* until it is fulfilled, cancelled or refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, not paid yet (Shopify `pending`, `authorized`).
    Pending,
    /// Paid, not yet fulfilled.
    Paid,
    /// Shipped or delivered in full.
    Fulfilled,
    Cancelled,
    /// Refunded in full (a partial refund leaves the order paid or fulfilled).
    Refunded,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        Self::Pending,
        Self::Paid,
        Self::Fulfilled,
        Self::Cancelled,
        Self::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Fulfilled => "fulfilled",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
        }
    }

    /// Whether its amount counts towards the customer's lifetime value.
    pub fn counts(self) -> bool {
        !matches!(self, Self::Cancelled | Self::Refunded)
    }

    /// Whether the customer is still waiting for it.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Paid)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown order status `{s}`; expected one of pending, paid, fulfilled, cancelled, refunded"
                )
            })
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub name: String,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Unit price in the order's currency's minor unit (cents), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_minor: Option<i64>,
}

/// An order as a source gives it, validated and normalized: ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// The shop's id of the order, unique per workspace: the same id again updates it.
    pub external_id: String,
    /// What the customer calls it (`#1001`): a message naming it links to the order.
    pub number: Option<String>,
    /// The buyer's email address, normalized ([`crate::identifiers::normalize_email`]).
    pub email: Option<String>,
    /// The buyer's phone number in E.164 ([`crate::identifiers::normalize_phone`]).
    pub phone: Option<String>,
    /// The shop's own id of the customer: later orders of the same customer ref go to the
    /// same contact even without an email or phone.
    pub customer_ref: Option<String>,
    pub placed_at: Timestamp,
    /// The total in the currency's minor unit (cents; yen; fils) — never a float.
    pub amount_minor: i64,
    /// ISO 4217 code, upper case, known to [`currency`].
    pub currency: String,
    pub status: OrderStatus,
    pub items: Vec<OrderItem>,
    /// When the shop last changed it: an update older than the stored one is ignored (webhooks
    /// arrive out of order).
    pub updated_at: Option<Timestamp>,
}

/// How an order reached Earshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSource {
    Import,
    Api,
    Shopify,
}

impl OrderSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Import => "import",
            Self::Api => "api",
            Self::Shopify => "shopify",
        }
    }
}

impl FromStr for OrderSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "import" => Ok(Self::Import),
            "api" => Ok(Self::Api),
            "shopify" => Ok(Self::Shopify),
            other => Err(format!("unknown order source `{other}`")),
        }
    }
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Order {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    /// The contact it was matched to; none while no contact has its email, phone or customer
    /// ref (it is matched when one appears).
    pub contact_id: Option<ContactId>,
    pub external_id: String,
    pub number: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub customer_ref: Option<String>,
    pub placed_at: Timestamp,
    pub amount_minor: i64,
    pub currency: String,
    /// The amount as the customer reads it (`199.90`).
    pub amount: String,
    pub status: OrderStatus,
    pub items: Vec<OrderItem>,
    pub source: OrderSource,
    pub updated_at: Timestamp,
}

/// What a contact's orders add up to.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct OrderSummary {
    /// Orders that count (not cancelled or refunded).
    pub order_count: u64,
    /// Orders the customer is still waiting for.
    pub open_orders: u64,
    pub last_order_at: Option<Timestamp>,
    /// Lifetime value per currency (minor units), largest first: no exchange rate is
    /// assumed, so amounts in different currencies are never added together.
    pub lifetime_value: Vec<CurrencyTotal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyTotal {
    pub currency: String,
    pub amount_minor: i64,
    /// As the customer reads it (`1234.50`).
    pub amount: String,
}

/// What was wrong with an order, and where: nothing of a batch with an error is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderError {
    /// The 1-based line of the file (CSV counts the header as line 1), or the 0-based index
    /// in an API array; none for a single order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The field at fault (`currency`, `amount`, …).
    pub field: String,
    /// A stable code for scripts: `missing_field`, `unknown_currency`, `negative_amount`,
    /// `malformed_field`, `unknown_status`, `duplicate_order`, `too_many`, `control_character`.
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

impl std::error::Error for OrderError {}

/// What a batch of orders did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct OrderImport {
    /// New orders stored.
    pub created: u64,
    /// Orders already stored that this batch changed.
    pub updated: u64,
    /// Orders already stored exactly so, or updates older than what is stored.
    pub unchanged: u64,
    /// Of the stored ones, how many belong to a contact now.
    pub matched: u64,
    /// Orders of an erased person: not stored.
    pub erased: u64,
    /// Contacts whose value was recomputed.
    pub contacts_updated: u64,
}
