//! The value and tier a contact's orders give it: lifetime value in the workspace's main
//! currency, and `vip` / `repeat` / `customer` unless a tier was typed by hand.

use super::*;
use crate::queries::Sql;
use earshot_core::orders::currency;

/// Customers in the top `1 / VIP_SHARE` of values from orders are `vip`.
const VIP_SHARE: i64 = 20;
/// Below this many customers with orders, nobody is `vip`: a top 5 % of ten is no line.
const VIP_MIN_CUSTOMERS: i64 = 20;
/// The statuses whose amounts count, as SQL.
pub(crate) const COUNTING: &str = "status NOT IN ('cancelled', 'refunded')";

/// What a derivation changed.
pub(crate) struct Derived {
    pub currency: Option<String>,
    /// Contacts whose value was written.
    pub values: u64,
    /// Contacts whose tier was written.
    pub tiers: u64,
}

/// The workspace's value currency: the stored one, or (when there is none yet, or `choose`)
/// the one most of its counting orders use, stored for next time.
async fn value_currency_in(
    tx: &mut Tx<'static>,
    ws: WorkspaceId,
    choose: bool,
) -> StoreResult<Option<String>> {
    if !choose {
        let (stored,): (Option<String>,) =
            sqlx::query_as("SELECT order_currency FROM workspaces WHERE id = $1")
                .bind(ws.0)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_err)?;
        if stored.is_some() {
            return Ok(stored);
        }
    }
    let chosen: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT currency FROM orders WHERE workspace_id = $1 AND {COUNTING} \
         GROUP BY currency ORDER BY COUNT(*) DESC, currency LIMIT 1"
    ))
    .bind(ws.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    let chosen = chosen.map(|c| c.0);
    sqlx::query("UPDATE workspaces SET order_currency = $1 WHERE id = $2")
        .bind(&chosen)
        .bind(ws.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(chosen)
}

/// Derives value and tier from orders for `contacts` (all of the workspace's when `None`):
/// value = lifetime value in the workspace's currency (cancelled and refunded orders left
/// out); tier = `vip` in the top 5 % of values, `repeat` from two orders, else `customer` —
/// unless a tier was typed by hand. A contact whose orders no longer give a value (moved away
/// by an undone merge, refunded, only in other currencies) loses the value they gave it.
pub(crate) async fn derive_values_in(
    tx: &mut Tx<'static>,
    ws: WorkspaceId,
    contacts: Option<&[i64]>,
    choose_currency: bool,
    now: i64,
) -> StoreResult<Derived> {
    let code = value_currency_in(tx, ws, choose_currency).await?;
    // Divided, not multiplied by 0.01: the quotient is the double nearest the decimal.
    let divisor = code
        .as_deref()
        .and_then(currency::exponent)
        .map_or(1.0, |e| 10f64.powi(e as i32));
    let scope = |sql: &mut Sql| {
        if let Some(ids) = contacts {
            sql.push(" AND contacts.id IN ");
            id_list(sql, ids);
        }
    };
    // Both are numbers Earshot computed (the currency's code is one of ISO 4217's): written
    // into the statement so that each expression can be used twice.
    let code_sql = format!("'{}'", code.as_deref().unwrap_or("").replace('\'', ""));
    let value = format!(
        "CAST((SELECT CAST(SUM(o.amount_minor) AS BIGINT) FROM orders o WHERE o.contact_id = contacts.id \
         AND o.{COUNTING} AND o.currency = {code_sql}) / {divisor:?} AS DOUBLE PRECISION)"
    );
    // A contact has a value from orders when it holds a counting order in the currency, and
    // a tier from orders when it holds any counting order. Merged-away contacts are left as
    // they are (kept for an undo) and count for nothing.
    let has_value = format!(
        "EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = contacts.id AND o.{COUNTING} AND o.currency = {code_sql})"
    );
    let has_tier = format!(
        "EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = contacts.id AND o.{COUNTING})"
    );
    let mut changed = 0;
    let run = |set: String, filter: String| {
        let mut sql = Sql::new(&format!("UPDATE contacts SET {set}, updated_at = "));
        sql.bind(Bind::I64(now))
            .push(" WHERE contacts.workspace_id = ")
            .bind(Bind::I64(ws.0))
            .push(" AND contacts.merged_into IS NULL");
        scope(&mut sql);
        sql.push(" AND ").push(&filter);
        sql
    };
    // Values from orders, written only where they change (so is `updated_at`).
    let values = run(
        format!("value = {value}, value_source = 'orders'"),
        format!(
            "{has_value} AND (value IS DISTINCT FROM {value} OR value_source IS DISTINCT FROM 'orders')"
        ),
    );
    // Contacts whose orders no longer give a value lose the one orders gave them (a value
    // typed by hand may be typed again).
    let lost_values = run(
        "value = NULL, value_source = NULL".into(),
        format!("value_source = 'orders' AND NOT {has_value}"),
    );
    let lost_tiers = run(
        "tier = NULL, tier_source = NULL".into(),
        format!("tier_source = 'orders' AND NOT {has_tier}"),
    );
    for sql in [values, lost_values] {
        changed += bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?
            .rows_affected();
    }
    let mut tiers = bind_all(sqlx::query(&lost_tiers.text), &lost_tiers.binds)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    // The VIP line.
    let (buyers,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1 AND value_source = 'orders' \
         AND value IS NOT NULL AND merged_into IS NULL",
    )
    .bind(ws.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)?;
    let line: Option<f64> = if buyers >= VIP_MIN_CUSTOMERS {
        let row: Option<(f64,)> = sqlx::query_as(
            "SELECT value FROM contacts WHERE workspace_id = $1 AND value_source = 'orders' \
             AND value IS NOT NULL AND merged_into IS NULL ORDER BY value DESC LIMIT 1 OFFSET $2",
        )
        .bind(ws.0)
        .bind(buyers / VIP_SHARE - 1)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
        row.map(|r| r.0)
    } else {
        None
    };
    let vip = line.map_or(String::new(), |l| {
        format!("WHEN value_source = 'orders' AND value >= {l:?} THEN 'vip' ")
    });
    let tier = format!(
        "CASE {vip}WHEN (SELECT COUNT(*) FROM orders o WHERE o.contact_id = contacts.id AND o.{COUNTING}) >= 2 \
         THEN 'repeat' ELSE 'customer' END"
    );
    let sql = run(
        format!("tier = {tier}, tier_source = 'orders'"),
        format!(
            "{has_tier} AND (tier IS NULL OR tier_source = 'orders') \
             AND (tier IS DISTINCT FROM {tier} OR tier_source IS DISTINCT FROM 'orders')"
        ),
    );
    tiers += bind_all(sqlx::query(&sql.text), &sql.binds)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(Derived {
        currency: code,
        values: changed,
        tiers,
    })
}
