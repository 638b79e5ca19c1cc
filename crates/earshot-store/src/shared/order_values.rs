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

/// Runs one statement; the rows it changed.
async fn execute(tx: &mut Tx<'static>, sql: Sql) -> StoreResult<u64> {
    bind_all(sqlx::query(&sql.text), &sql.binds)
        .execute(&mut **tx)
        .await
        .map_err(db_err)
        .map(|r| r.rows_affected())
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
    // Both are numbers Earshot computed (the currency's code is one of ISO 4217's): written
    // into the statements so that each expression can be used twice.
    let code_sql = format!("'{}'", code.as_deref().unwrap_or("").replace('\'', ""));
    // Each contact's counting orders, summed once per statement: the lifetime value's minor
    // units in the currency (NULL when it has none in it) and the number of orders. Merged-
    // away contacts are left as they are (kept for an undo) and count for nothing.
    let totals = |sql: &mut Sql| {
        sql.push(&format!(
            "(SELECT o.contact_id AS cid, \
             SUM(CASE WHEN o.currency = {code_sql} THEN o.amount_minor END) AS minor, COUNT(*) AS n \
             FROM orders o WHERE o.workspace_id = "
        ))
        .bind(Bind::I64(ws.0))
        .push(&format!(" AND o.contact_id IS NOT NULL AND o.{COUNTING}"));
        if let Some(ids) = contacts {
            sql.push(" AND o.contact_id IN ");
            id_list(sql, ids);
        }
        sql.push(" GROUP BY o.contact_id) t");
    };
    // Divided, not multiplied by 0.01: the quotient is the double nearest the decimal.
    let value = format!("CAST(CAST(t.minor AS BIGINT) / {divisor:?} AS DOUBLE PRECISION)");
    // `UPDATE contacts SET {set} FROM (totals) t WHERE {filter}`, for live contacts of the
    // workspace (and of `contacts`) that have counting orders.
    let with_totals = |set: &str, filter: &str| {
        let mut sql = Sql::new(&format!("UPDATE contacts SET {set}, updated_at = "));
        sql.bind(Bind::I64(now)).push(" FROM ");
        totals(&mut sql);
        sql.push(" WHERE contacts.id = t.cid AND contacts.workspace_id = ")
            .bind(Bind::I64(ws.0))
            .push(" AND contacts.merged_into IS NULL AND ")
            .push(filter);
        sql
    };
    // Contacts whose orders give them nothing any more (moved away by an undone merge,
    // refunded, only in other currencies) lose what orders gave them.
    let losing = |set: &str, filter: &str| {
        let mut sql = Sql::new(&format!("UPDATE contacts SET {set}, updated_at = "));
        sql.bind(Bind::I64(now))
            .push(" WHERE contacts.workspace_id = ")
            .bind(Bind::I64(ws.0))
            .push(" AND contacts.merged_into IS NULL");
        if let Some(ids) = contacts {
            sql.push(" AND contacts.id IN ");
            id_list(&mut sql, ids);
        }
        sql.push(" AND ").push(filter);
        sql
    };
    // Values from orders, written only where they change (so is `updated_at`).
    let mut changed = execute(
        tx,
        with_totals(
            &format!("value = {value}, value_source = 'orders'"),
            &format!(
                "t.minor IS NOT NULL AND (contacts.value IS DISTINCT FROM {value} \
                 OR contacts.value_source IS DISTINCT FROM 'orders')"
            ),
        ),
    )
    .await?;
    let has_value = format!(
        "EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = contacts.id AND o.{COUNTING} AND o.currency = {code_sql})"
    );
    let has_tier = format!(
        "EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = contacts.id AND o.{COUNTING})"
    );
    changed += execute(
        tx,
        losing(
            "value = NULL, value_source = NULL",
            &format!("value_source = 'orders' AND NOT {has_value}"),
        ),
    )
    .await?;
    let mut tiers = execute(
        tx,
        losing(
            "tier = NULL, tier_source = NULL",
            &format!("tier_source = 'orders' AND NOT {has_tier}"),
        ),
    )
    .await?;
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
        format!("WHEN contacts.value_source = 'orders' AND contacts.value >= {l:?} THEN 'vip' ")
    });
    let tier = format!("CASE {vip}WHEN t.n >= 2 THEN 'repeat' ELSE 'customer' END");
    tiers += execute(
        tx,
        with_totals(
            &format!("tier = {tier}, tier_source = 'orders'"),
            &format!(
                "(contacts.tier IS NULL OR contacts.tier_source = 'orders') \
                 AND (contacts.tier IS DISTINCT FROM {tier} OR contacts.tier_source IS DISTINCT FROM 'orders')"
            ),
        ),
    )
    .await?;
    Ok(Derived {
        currency: code,
        values: changed,
        tiers,
    })
}
