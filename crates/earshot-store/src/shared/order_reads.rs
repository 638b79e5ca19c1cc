//! Orders as agents and exports read them: a contact's orders with their totals, orders by
//! the number a customer wrote, one order, and the unmatched orders that name a person.

use super::orders::{order_of, ORDER_COLUMNS};
use super::*;
use crate::queries::Sql;
use earshot_core::orders::{currency, CurrencyTotal, Order, OrderStatus, OrderSummary};
use earshot_core::ContactId;
use std::collections::HashMap;

pub(crate) async fn contact_orders(
    pool: &Pool,
    ws: WorkspaceId,
    contact: ContactId,
    limit: u32,
) -> StoreResult<(Vec<Order>, OrderSummary)> {
    let rows = sqlx::query(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE workspace_id = $1 AND contact_id = $2 \
         ORDER BY placed_at DESC, id DESC LIMIT $3"
    ))
    .bind(ws.0)
    .bind(contact.0)
    .bind(i64::from(
        limit.clamp(1, earshot_core::orders::MAX_ORDERS_READ),
    ))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let orders = rows
        .iter()
        .map(|r| order_of(ws, r))
        .collect::<StoreResult<Vec<_>>>()?;
    let totals: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT currency, status, COUNT(*), CAST(SUM(amount_minor) AS BIGINT), MAX(placed_at) FROM orders \
         WHERE workspace_id = $1 AND contact_id = $2 GROUP BY currency, status",
    )
    .bind(ws.0)
    .bind(contact.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut summary = OrderSummary::default();
    let mut by_currency: HashMap<String, i64> = HashMap::new();
    let mut last: Option<i64> = None;
    for (code, status, count, sum, latest) in totals {
        let status: OrderStatus = status
            .parse()
            .map_err(|_| crate::corrupt("order status", &status))?;
        if !status.counts() {
            continue;
        }
        summary.order_count += count as u64;
        if status.is_open() {
            summary.open_orders += count as u64;
        }
        *by_currency.entry(code).or_default() += sum;
        last = last.max(Some(latest));
    }
    summary.last_order_at = last.map(earshot_core::time::from_millis);
    let mut totals: Vec<CurrencyTotal> = by_currency
        .into_iter()
        .map(|(currency, amount_minor)| CurrencyTotal {
            amount: currency::format_minor(amount_minor, &currency),
            currency,
            amount_minor,
        })
        .collect();
    totals.sort_by(|a, b| {
        b.amount_minor
            .cmp(&a.amount_minor)
            .then(a.currency.cmp(&b.currency))
    });
    summary.lifetime_value = totals;
    Ok((orders, summary))
}

pub(crate) async fn orders_by_number(
    pool: &Pool,
    ws: WorkspaceId,
    keys: &[String],
) -> StoreResult<Vec<Order>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut sql = Sql::new(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE workspace_id = "
    ));
    sql.bind(Bind::I64(ws.0)).push(" AND number_key IN ");
    text_list(&mut sql, &refs);
    sql.push(" ORDER BY placed_at DESC LIMIT 20");
    let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(|r| order_of(ws, r)).collect()
}

pub(crate) async fn get_order(pool: &Pool, ws: WorkspaceId, id: i64) -> StoreResult<Option<Order>> {
    let row = sqlx::query(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE workspace_id = $1 AND id = $2"
    ))
    .bind(ws.0)
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.map(|r| order_of(ws, &r)).transpose()
}

pub(crate) async fn unmatched_orders_naming(
    pool: &Pool,
    ws: WorkspaceId,
    contact: ContactId,
) -> StoreResult<Vec<Order>> {
    let own = |kind: &str| {
        format!(
            "{kind} IN (SELECT f.value FROM identifiers f JOIN identities i ON i.id = f.identity_id \
             WHERE f.workspace_id = $1 AND f.kind = '{kind}' AND f.verified AND i.contact_id = $2)"
        )
    };
    let rows = sqlx::query(&format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE workspace_id = $1 AND contact_id IS NULL \
         AND (({}) OR ({})) ORDER BY placed_at DESC, id DESC LIMIT $3",
        own("email"),
        own("phone")
    ))
    .bind(ws.0)
    .bind(contact.0)
    .bind(i64::from(earshot_core::orders::MAX_ORDERS_READ))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter().map(|r| order_of(ws, r)).collect()
}
