//! The store's role for orders: the customers' orders from the brand's shop, matched to
//! contacts, and the value derived from them.

use super::StoreResult;
use crate::orders::{NewOrder, Order, OrderImport, OrderSource, OrderSummary};
use crate::time::Timestamp;
use crate::{ContactId, WorkspaceId};
use async_trait::async_trait;

/// What a full recomputation of the workspace's order values did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Default)]
pub struct ValueRecompute {
    /// Orders that found their contact on this pass (its email, phone or customer id
    /// appeared since the order came).
    pub matched: u64,
    /// Contacts whose value was written (it changed).
    pub contacts: u64,
    /// Contacts whose tier was written (it changed).
    pub tiers: u64,
    /// The currency values are in: the one most of the workspace's counting orders use.
    pub currency: Option<String>,
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Stores a batch of validated orders in one transaction, serialized with ingest: an
    /// order id not seen before is created, a known one updated (unless the stored one is
    /// newer: webhooks arrive out of order). Each is matched to the contact holding its email
    /// address, then its phone number (identifiers of the contact's identities), then its
    /// shop customer id (another order of that customer); an erased person's orders are not
    /// stored. With `recompute`, the value and tier of the contacts whose orders changed are
    /// derived again before it commits; a bulk import passes `false` and calls
    /// [`OrderStore::recompute_order_values`] once at the end.
    async fn upsert_orders(
        &self,
        workspace: WorkspaceId,
        orders: &[NewOrder],
        source: OrderSource,
        recompute: bool,
        at: Timestamp,
    ) -> StoreResult<OrderImport>;
    /// Matches the orders no contact held yet and derives every contact's value and tier
    /// from its orders again, in one transaction.
    async fn recompute_order_values(
        &self,
        workspace: WorkspaceId,
        at: Timestamp,
    ) -> StoreResult<ValueRecompute>;
    /// A contact's orders, newest first (at most `limit`), and what they all add up to.
    async fn contact_orders(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
        limit: u32,
    ) -> StoreResult<(Vec<Order>, OrderSummary)>;
    /// The workspace's orders whose number has one of `keys`
    /// ([`crate::orders::mentions::number_key`]).
    async fn orders_by_number(
        &self,
        workspace: WorkspaceId,
        keys: &[String],
    ) -> StoreResult<Vec<Order>>;
    async fn get_order(&self, workspace: WorkspaceId, id: i64) -> StoreResult<Option<Order>>;
    /// Orders no contact holds that name one of `contact`'s verified email addresses or
    /// numbers (theirs too: an export shows them, an erasure deletes them), newest first.
    async fn unmatched_orders_naming(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
    ) -> StoreResult<Vec<Order>>;
}
