//! Orders: stored in batches inside one transaction serialized with ingest, matched to the
//! contact holding the buyer's email or phone (or another order of the same shop customer),
//! and the contact's value and tier derived from them.

use super::*;
use crate::queries::Sql;
use earshot_core::identifiers::IdentifierKind;
use earshot_core::orders::{
    currency, NewOrder, Order, OrderImport, OrderItem, OrderSource, OrderSummary,
};
use earshot_core::privacy::identifier_tombstone;
use earshot_core::store::ValueRecompute;
use earshot_core::ContactId;
use std::collections::{HashMap, HashSet};

/// Rows per multi-row statement (16 binds each: well under both databases' limits).
const CHUNK: usize = 400;

pub(super) const ORDER_COLUMNS: &str =
    "id, contact_id, external_id, number, email, phone, customer_ref, \
     placed_at, amount_minor, currency, status, items, source, updated_at";

pub(super) fn order_of(ws: WorkspaceId, r: &DbRow) -> StoreResult<Order> {
    let currency_code: String = r.try_get(9).map_err(db_err)?;
    let amount_minor: i64 = r.try_get(8).map_err(db_err)?;
    let status: String = r.try_get(10).map_err(db_err)?;
    let items: String = r.try_get(11).map_err(db_err)?;
    let source: String = r.try_get(12).map_err(db_err)?;
    Ok(Order {
        id: r.try_get(0).map_err(db_err)?,
        workspace_id: ws,
        contact_id: r
            .try_get::<Option<i64>, _>(1)
            .map_err(db_err)?
            .map(ContactId),
        external_id: r.try_get(2).map_err(db_err)?,
        number: r.try_get(3).map_err(db_err)?,
        email: r.try_get(4).map_err(db_err)?,
        phone: r.try_get(5).map_err(db_err)?,
        customer_ref: r.try_get(6).map_err(db_err)?,
        placed_at: earshot_core::time::from_millis(r.try_get(7).map_err(db_err)?),
        amount: currency::format_minor(amount_minor, &currency_code),
        amount_minor,
        currency: currency_code,
        status: status
            .parse()
            .map_err(|_| crate::corrupt("order status", &status))?,
        items: serde_json::from_str::<Vec<OrderItem>>(&items)
            .map_err(|_| crate::corrupt("order items", &items))?,
        source: source
            .parse()
            .map_err(|_| crate::corrupt("order source", &source))?,
        updated_at: earshot_core::time::from_millis(r.try_get(13).map_err(db_err)?),
    })
}

/// What a stored order is compared on: an update that changes none of it is `unchanged`.
#[derive(PartialEq)]
struct Stored {
    id: i64,
    contact_id: Option<i64>,
    number: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    customer_ref: Option<String>,
    placed_at: i64,
    amount_minor: i64,
    currency: String,
    status: String,
    items: String,
    updated_at: i64,
}

async fn stored_orders(
    tx: &mut Tx<'static>,
    ws: WorkspaceId,
    external_ids: &[&str],
) -> StoreResult<HashMap<String, Stored>> {
    let mut found = HashMap::new();
    for chunk in external_ids.chunks(5000) {
        let mut sql = Sql::new(
            "SELECT external_id, id, contact_id, number, email, phone, customer_ref, placed_at, \
             amount_minor, currency, status, items, updated_at FROM orders WHERE workspace_id = ",
        );
        sql.bind(Bind::I64(ws.0)).push(" AND external_id IN ");
        text_list(&mut sql, chunk);
        let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?;
        for r in &rows {
            found.insert(
                r.try_get(0).map_err(db_err)?,
                Stored {
                    id: r.try_get(1).map_err(db_err)?,
                    contact_id: r.try_get(2).map_err(db_err)?,
                    number: r.try_get(3).map_err(db_err)?,
                    email: r.try_get(4).map_err(db_err)?,
                    phone: r.try_get(5).map_err(db_err)?,
                    customer_ref: r.try_get(6).map_err(db_err)?,
                    placed_at: r.try_get(7).map_err(db_err)?,
                    amount_minor: r.try_get(8).map_err(db_err)?,
                    currency: r.try_get(9).map_err(db_err)?,
                    status: r.try_get(10).map_err(db_err)?,
                    items: r.try_get(11).map_err(db_err)?,
                    updated_at: r.try_get(12).map_err(db_err)?,
                },
            );
        }
    }
    Ok(found)
}

/// An order no contact holds yet: id, email, phone, shop customer id.
type Unmatched = (i64, Option<String>, Option<String>, Option<String>);

/// The buyer's email, phone and shop customer id of an order to match.
struct Buyer<'a> {
    email: Option<&'a str>,
    phone: Option<&'a str>,
    customer_ref: Option<&'a str>,
}

/// The contact each buyer is, where exactly one live customer contact holds their email
/// (first), phone (then) — verified by a channel: a number a customer merely wrote could be
/// anyone's, and would show them another person's orders — or another order of their shop
/// customer id (last); `None` where nobody or more than one contact does.
async fn match_buyers(
    tx: &mut Tx<'static>,
    ws: WorkspaceId,
    buyers: &[Buyer<'_>],
) -> StoreResult<Vec<Option<i64>>> {
    let mut keys: Vec<(IdentifierKind, &str)> = Vec::new();
    let mut seen = HashSet::new();
    for b in buyers {
        for k in [
            b.email.map(|e| (IdentifierKind::Email, e)),
            b.phone.map(|p| (IdentifierKind::Phone, p)),
        ]
        .into_iter()
        .flatten()
        {
            if seen.insert(k) {
                keys.push(k);
            }
        }
    }
    let mut holders: HashMap<(IdentifierKind, String), HashSet<i64>> = HashMap::new();
    for chunk in keys.chunks(5000) {
        for h in identifier_holders_in(tx, ws, chunk).await? {
            if !h.verified {
                continue;
            }
            holders
                .entry((h.kind, h.value))
                .or_default()
                .insert(h.contact_id);
        }
    }
    let one = |set: Option<&HashSet<i64>>| match set {
        Some(s) if s.len() == 1 => s.iter().next().copied(),
        _ => None,
    };
    let mut matched: Vec<Option<i64>> = buyers
        .iter()
        .map(|b| {
            b.email
                .and_then(|e| one(holders.get(&(IdentifierKind::Email, e.to_string()))))
                .or_else(|| {
                    b.phone
                        .and_then(|p| one(holders.get(&(IdentifierKind::Phone, p.to_string()))))
                })
        })
        .collect();
    // The shop customer ids of the buyers nobody holds an email or phone of: the contacts
    // their earlier orders went to (distinct from the covering index, then only live ones).
    let refs: Vec<&str> = buyers
        .iter()
        .zip(&matched)
        .filter(|(_, m)| m.is_none())
        .filter_map(|(b, _)| b.customer_ref)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut by_ref: HashMap<String, HashSet<i64>> = HashMap::new();
    for chunk in refs.chunks(5000) {
        let mut sql = Sql::new(
            "SELECT d.customer_ref, d.contact_id FROM (SELECT DISTINCT o.customer_ref, o.contact_id \
             FROM orders o WHERE o.workspace_id = ",
        );
        sql.bind(Bind::I64(ws.0)).push(" AND o.customer_ref IN ");
        text_list(&mut sql, chunk);
        sql.push(
            " AND o.contact_id IS NOT NULL) d JOIN contacts c ON c.id = d.contact_id \
             WHERE c.merged_into IS NULL",
        );
        let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?;
        for r in &rows {
            by_ref
                .entry(r.try_get(0).map_err(db_err)?)
                .or_default()
                .insert(r.try_get(1).map_err(db_err)?);
        }
    }
    for (b, m) in buyers.iter().zip(matched.iter_mut()) {
        if m.is_none() {
            *m = b.customer_ref.and_then(|r| one(by_ref.get(r)));
        }
    }
    // A customer id matched through one order of the batch matches the others too.
    let mut batch_ref: HashMap<&str, HashSet<i64>> = HashMap::new();
    for (b, m) in buyers.iter().zip(&matched) {
        if let (Some(r), Some(c)) = (b.customer_ref, m) {
            batch_ref.entry(r).or_default().insert(*c);
        }
    }
    for (b, m) in buyers.iter().zip(matched.iter_mut()) {
        if m.is_none() {
            *m = b.customer_ref.and_then(|r| one(batch_ref.get(r)));
        }
    }
    Ok(matched)
}

/// The salted tombstones of an order's buyer, as erasure leaves them for a person's email
/// addresses and phone numbers.
fn buyer_tombstones(salt: &str, o: &NewOrder) -> Vec<String> {
    let mut t = Vec::new();
    if let Some(r) = &o.customer_ref {
        t.push(earshot_core::privacy::customer_ref_tombstone(salt, r));
    }
    if let Some(e) = &o.email {
        t.push(identifier_tombstone(salt, IdentifierKind::Email, e));
    }
    if let Some(p) = &o.phone {
        t.push(identifier_tombstone(salt, IdentifierKind::Phone, p));
    }
    t
}

fn items_json(items: &[OrderItem]) -> String {
    serde_json::to_string(items).expect("items serialize")
}

pub(crate) async fn upsert_orders(
    store: &Backend,
    ws: WorkspaceId,
    orders: &[NewOrder],
    source: OrderSource,
    recompute: bool,
    at: earshot_core::time::Timestamp,
) -> StoreResult<OrderImport> {
    let mut unit = store.begin_unit(ws).await?;
    let tx = &mut unit.tx;
    let now = to_millis(at);
    let mut report = OrderImport::default();
    // A later line about the same order wins over an earlier one.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (n, o) in orders.iter().enumerate() {
        last.insert(&o.external_id, n);
    }
    let mut batch: Vec<&NewOrder> = orders
        .iter()
        .enumerate()
        .filter(|(n, o)| last[o.external_id.as_str()] == *n)
        .map(|(_, o)| o)
        .collect();
    report.unchanged += (orders.len() - batch.len()) as u64;
    if let Some(salt) = erasure_salt_in(tx, ws).await? {
        let hashes: Vec<String> = batch
            .iter()
            .flat_map(|o| buyer_tombstones(&salt, o))
            .collect();
        let erased = erased_among_in(tx, ws, &hashes).await?;
        if !erased.is_empty() {
            let before = batch.len();
            batch.retain(|o| {
                !buyer_tombstones(&salt, o)
                    .iter()
                    .any(|h| erased.contains(h))
            });
            report.erased = (before - batch.len()) as u64;
        }
    }
    let ids: Vec<&str> = batch.iter().map(|o| o.external_id.as_str()).collect();
    let stored = stored_orders(tx, ws, &ids).await?;
    let buyers: Vec<Buyer> = batch
        .iter()
        .map(|o| Buyer {
            email: o.email.as_deref(),
            phone: o.phone.as_deref(),
            customer_ref: o.customer_ref.as_deref(),
        })
        .collect();
    let matched = match_buyers(tx, ws, &buyers).await?;
    let mut touched: HashSet<i64> = HashSet::new();
    let mut inserts: Vec<Vec<Bind>> = Vec::new();
    for (o, m) in batch.iter().zip(matched) {
        // Without the shop's update time, the order's own time: an old export imported again
        // never overrides what a webhook said since.
        let updated_at = to_millis(o.updated_at.unwrap_or(o.placed_at));
        let number_key = o
            .number
            .as_deref()
            .map(earshot_core::orders::mentions::number_key);
        let items = items_json(&o.items);
        match stored.get(&o.external_id) {
            None => {
                report.created += 1;
                if let Some(c) = m {
                    report.matched += 1;
                    touched.insert(c);
                }
                inserts.push(vec![
                    Bind::I64(ws.0),
                    Bind::OptI64(m),
                    Bind::Text(o.external_id.clone()),
                    Bind::OptText(o.number.clone()),
                    Bind::OptText(number_key),
                    Bind::OptText(o.email.clone()),
                    Bind::OptText(o.phone.clone()),
                    Bind::OptText(o.customer_ref.clone()),
                    Bind::I64(to_millis(o.placed_at)),
                    Bind::I64(o.amount_minor),
                    Bind::Text(o.currency.clone()),
                    Bind::Text(o.status.as_str().into()),
                    Bind::Text(items),
                    Bind::Text(source.as_str().into()),
                    Bind::I64(updated_at),
                    Bind::I64(now),
                ]);
            }
            Some(s) => {
                // A merge may have moved it: a matched order keeps its contact.
                let contact = s.contact_id.or(m);
                let next = Stored {
                    id: s.id,
                    contact_id: contact,
                    number: o.number.clone(),
                    email: o.email.clone(),
                    phone: o.phone.clone(),
                    customer_ref: o.customer_ref.clone(),
                    placed_at: to_millis(o.placed_at),
                    amount_minor: o.amount_minor,
                    currency: o.currency.clone(),
                    status: o.status.as_str().into(),
                    items,
                    updated_at: s.updated_at,
                };
                if updated_at < s.updated_at || next == *s {
                    report.unchanged += 1;
                    if contact.is_some() {
                        report.matched += 1;
                    }
                    continue;
                }
                report.updated += 1;
                if let Some(c) = contact {
                    report.matched += 1;
                    touched.insert(c);
                }
                sqlx::query(
                    "UPDATE orders SET contact_id = $1, number = $2, number_key = $3, email = $4, phone = $5, \
                     customer_ref = $6, placed_at = $7, amount_minor = $8, currency = $9, status = $10, \
                     items = $11, updated_at = $12, received_at = $13 WHERE id = $14",
                )
                .bind(contact)
                .bind(&next.number)
                .bind(&number_key)
                .bind(&next.email)
                .bind(&next.phone)
                .bind(&next.customer_ref)
                .bind(next.placed_at)
                .bind(next.amount_minor)
                .bind(&next.currency)
                .bind(&next.status)
                .bind(&next.items)
                .bind(updated_at)
                .bind(now)
                .bind(s.id)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
            }
        }
    }
    for chunk in inserts.chunks(CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO orders (workspace_id, contact_id, external_id, number, number_key, email, phone, \
             customer_ref, placed_at, amount_minor, currency, status, items, source, updated_at, received_at) SELECT ",
        );
        let cols: Vec<String> = (1..=16).map(column).collect();
        sql.push(&cols.join(", ")).push(" FROM ");
        rows_source(&mut sql, 16, chunk);
        sql.push(" WHERE true");
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    if recompute && !touched.is_empty() {
        let touched: Vec<i64> = touched.into_iter().collect();
        report.contacts_updated = derive_values_in(tx, ws, Some(&touched), false, now)
            .await?
            .values;
    }
    unit.finish().await?;
    Ok(report)
}

/// Matches the orders no contact held, in chunks, through [`match_buyers`]; how many found
/// their contact.
async fn match_unmatched_in(tx: &mut Tx<'static>, ws: WorkspaceId) -> StoreResult<u64> {
    let mut matched = 0;
    let mut after = 0i64;
    loop {
        let rows: Vec<Unmatched> = sqlx::query_as(
            "SELECT id, email, phone, customer_ref FROM orders WHERE workspace_id = $1 AND contact_id IS NULL \
             AND id > $2 ORDER BY id LIMIT 5000",
        )
        .bind(ws.0)
        .bind(after)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        matched += assign_in(tx, ws, &rows).await?.len() as u64;
    }
    Ok(matched)
}
pub(crate) async fn attach_orders_in(
    tx: &mut Tx<'static>,
    ws: WorkspaceId,
    keys: &[(IdentifierKind, &str)],
    now: i64,
) -> StoreResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    // This runs in every ingest batch that records identifiers: one lookup per kind along
    // its index (`orders_by_email`, `orders_by_phone`), joined by UNION — an OR of the two
    // made SQLite read every order of the workspace.
    let mut sql = Sql::new("");
    for kind in [IdentifierKind::Email, IdentifierKind::Phone] {
        let values: Vec<&str> = keys
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, v)| *v)
            .collect();
        if values.is_empty() {
            continue;
        }
        if !sql.text.is_empty() {
            sql.push(" UNION ");
        }
        sql.push("SELECT id, email, phone, customer_ref FROM orders WHERE workspace_id = ")
            .bind(Bind::I64(ws.0))
            .push(&format!(
                " AND contact_id IS NULL AND {} IN ",
                kind.as_str()
            ));
        text_list(&mut sql, &values);
    }
    sql.push(" LIMIT 10000");
    let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
    if rows.is_empty() {
        return Ok(());
    }
    let found: Vec<Unmatched> = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0).map_err(db_err)?,
                r.try_get(1).map_err(db_err)?,
                r.try_get(2).map_err(db_err)?,
                r.try_get(3).map_err(db_err)?,
            ))
        })
        .collect::<StoreResult<_>>()?;
    let contacts = assign_in(tx, ws, &found).await?;
    if !contacts.is_empty() {
        derive_values_in(tx, ws, Some(&contacts), false, now).await?;
    }
    Ok(())
}

/// Matches these unmatched orders `(id, email, phone, customer ref)` and writes the contacts
/// found; the contacts that got orders.
async fn assign_in(
    tx: &mut Tx<'static>,
    ws: WorkspaceId,
    rows: &[Unmatched],
) -> StoreResult<Vec<i64>> {
    let buyers: Vec<Buyer> = rows
        .iter()
        .map(|r| Buyer {
            email: r.1.as_deref(),
            phone: r.2.as_deref(),
            customer_ref: r.3.as_deref(),
        })
        .collect();
    let found = match_buyers(tx, ws, &buyers).await?;
    let pairs: Vec<Vec<Bind>> = rows
        .iter()
        .zip(found)
        .filter_map(|(r, c)| c.map(|c| vec![Bind::I64(r.0), Bind::I64(c)]))
        .collect();
    for chunk in pairs.chunks(2000) {
        let mut sql = Sql::new(&format!(
            "UPDATE orders SET contact_id = {} FROM ",
            column(2)
        ));
        rows_source(&mut sql, 2, chunk);
        sql.push(&format!(" WHERE orders.id = {}", column(1)));
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    let mut contacts: Vec<i64> = pairs
        .iter()
        .filter_map(|p| match p[1] {
            Bind::I64(c) => Some(c),
            _ => None,
        })
        .collect();
    contacts.sort_unstable();
    contacts.dedup();
    Ok(contacts)
}

pub(crate) async fn recompute_order_values(
    store: &Backend,
    ws: WorkspaceId,
    at: earshot_core::time::Timestamp,
) -> StoreResult<ValueRecompute> {
    let mut unit = store.begin_unit(ws).await?;
    let tx = &mut unit.tx;
    let matched = match_unmatched_in(tx, ws).await?;
    let derived = derive_values_in(tx, ws, None, true, to_millis(at)).await?;
    unit.finish().await?;
    Ok(ValueRecompute {
        matched,
        contacts: derived.values,
        tiers: derived.tiers,
        currency: derived.currency,
    })
}

#[async_trait::async_trait]
impl earshot_core::store::OrderStore for Backend {
    async fn unmatched_orders_naming(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
    ) -> StoreResult<Vec<Order>> {
        unmatched_orders_naming(self.reader(), ws, contact).await
    }
    async fn upsert_orders(
        &self,
        ws: WorkspaceId,
        orders: &[NewOrder],
        source: OrderSource,
        recompute: bool,
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<OrderImport> {
        upsert_orders(self, ws, orders, source, recompute, at).await
    }
    async fn recompute_order_values(
        &self,
        ws: WorkspaceId,
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<ValueRecompute> {
        recompute_order_values(self, ws, at).await
    }
    async fn contact_orders(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        limit: u32,
    ) -> StoreResult<(Vec<Order>, OrderSummary)> {
        contact_orders(self.reader(), ws, contact, limit).await
    }
    async fn orders_by_number(&self, ws: WorkspaceId, keys: &[String]) -> StoreResult<Vec<Order>> {
        orders_by_number(self.reader(), ws, keys).await
    }
    async fn get_order(&self, ws: WorkspaceId, id: i64) -> StoreResult<Option<Order>> {
        get_order(self.reader(), ws, id).await
    }
}
