//! PostgreSQL, for production and scale-out. Batches travel as typed arrays (`UNNEST`,
//! `= ANY`), ids come from the tables' sequences, and each ingest transaction takes a
//! per-workspace advisory lock so that two writers can't thread the same conversation twice.

use crate::ingest::{
    ContactRow, ConversationRow, ConversationUpdate, Current, EnrichmentRow, IdTable, IdentityRow,
    IngestTx, MessageRow,
};
use crate::{corrupt, db_err};
use async_trait::async_trait;
use earshot_core::store::{StoreError, StoreResult};
use earshot_core::timeline::TimelineEntry;
use earshot_core::{ChannelId, ChannelKind, ChannelRole, ConversationId, MessageId, WorkspaceId};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Row, Transaction};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

// The shared queries (`shared/`), compiled for PostgreSQL.
type Db = Postgres;
type DbRow = PgRow;
type Backend = PgStore;
type UnitTx = PgTx;
const BACKEND: &str = "postgres";
const FIRST_RESPONSES_FROM: &str = "FROM conversations";
// Compiled once per backend on purpose: the same SQL over a different `Db`.
#[allow(clippy::duplicate_mod)]
#[path = "shared/mod.rs"]
mod q;

mod ingest_tx;

/// `(…)` for `IN`: one bound parameter per id (PostgreSQL binds by position).
pub(crate) fn id_list(sql: &mut crate::queries::Sql, ids: &[i64]) {
    sql.push("(");
    for (n, id) in ids.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(crate::queries::Bind::I64(*id));
    }
    sql.push(")");
}

/// [`id_list`] for text values.
pub(crate) fn text_list(sql: &mut crate::queries::Sql, values: &[&str]) {
    sql.push("(");
    for (n, v) in values.iter().enumerate() {
        if n > 0 {
            sql.push(", ");
        }
        sql.bind(crate::queries::Bind::Text(v.to_string()));
    }
    sql.push(")");
}

/// `(VALUES …) AS v`: rows of `width` bound values, read as `v.column1`, `v.column2`, ….
pub(crate) fn rows_source(
    sql: &mut crate::queries::Sql,
    width: usize,
    rows: &[Vec<crate::queries::Bind>],
) {
    sql.push("(VALUES ");
    for (i, row) in rows.iter().enumerate() {
        debug_assert_eq!(row.len(), width);
        sql.push(if i == 0 { "(" } else { ", (" });
        for (n, b) in row.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.bind(b.clone());
        }
        sql.push(")");
    }
    sql.push(") AS v");
}

/// `n` fresh ids for `table` from its sequence.
pub(crate) async fn next_ids(
    tx: &mut Transaction<'_, Postgres>,
    table: &str,
    n: usize,
) -> StoreResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
    )
    .bind(table)
    .bind(n as i64)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)
}

/// The `n`th column (from 1) of a [`rows_source`] row.
pub(crate) fn column(n: usize) -> String {
    format!("v.column{n}")
}

/// Counts stored messages and analyzes once the tables have doubled since last time.
async fn note_growth(
    pool: &PgPool,
    growth: &std::sync::Mutex<Growth>,
    stored: u64,
) -> StoreResult<()> {
    let due = {
        let mut g = growth.lock().expect("growth counter lock");
        g.since += stored;
        if g.since >= ANALYZE_MIN_GROWTH.max(g.baseline) {
            g.baseline += g.since;
            g.since = 0;
            true
        } else {
            false
        }
    };
    if due {
        analyze(pool).await?;
    }
    Ok(())
}

async fn analyze(pool: &PgPool) -> StoreResult<()> {
    sqlx::query(&format!("ANALYZE {ANALYZED}"))
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// First key of the advisory lock that serializes ingest within a workspace.
const INGEST_LOCK: i32 = 0x4541_5254;

pub struct PgStore {
    pool: PgPool,
    growth: Arc<std::sync::Mutex<Growth>>,
}

impl PgStore {
    fn reader(&self) -> &PgPool {
        &self.pool
    }
    fn writer(&self) -> &PgPool {
        &self.pool
    }
    /// Deleted rows are invisible at once (and absent from dumps); autovacuum reclaims them.
    async fn after_erasure(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// Messages stored since the tables were last analyzed, and how many there were then.
#[derive(Debug, Default)]
struct Growth {
    since: u64,
    baseline: u64,
}

/// Tables whose statistics the ingest statements' plans depend on.
const ANALYZED: &str = "messages, conversations, identities, contacts";
/// Never analyze more often than every this many stored messages.
const ANALYZE_MIN_GROWTH: u64 = 10_000;

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies pending migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        // Ingest statements carry batch-sized arrays (`= ANY($n)`, `UNNEST`). A cached generic
        // plan can't see their size and picks workspace-wide index scans filtered against the
        // array (seconds per statement at a million rows); planning each execution with its
        // actual parameters costs well under a millisecond and keeps them point lookups.
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("bad PostgreSQL URL `{url}`: {e}")))?
            .options([("plan_cache_mode", "force_custom_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(db_err)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        q::backfill_identity_keys(&pool).await?;
        let store = Self {
            pool,
            growth: Default::default(),
        };
        let never_analyzed: bool = sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'messages') \
             AND EXISTS (SELECT 1 FROM messages)",
        )
        .fetch_one(&store.pool)
        .await
        .map_err(db_err)?;
        if never_analyzed {
            store.analyze().await?;
        }
        Ok(store)
    }

    /// Refreshes the planner's statistics of the ingest tables. Without them (autovacuum off,
    /// or behind a bulk load) PostgreSQL plans batch lookups as scans of the whole workspace,
    /// which grow with the data: a million-message ingest slowed from 12,000 to 3,600
    /// messages/s here before this was added.
    async fn analyze(&self) -> StoreResult<()> {
        analyze(&self.pool).await
    }

    /// Opens a batch's unit of work, holding the workspace's ingest lock until it commits.
    async fn begin_unit(&self, ws: WorkspaceId) -> StoreResult<PgTx> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(INGEST_LOCK)
            .bind(ws.0 as i32)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        Ok(PgTx {
            tx,
            ws,
            stored: 0,
            held: Vec::new(),
            pool: self.pool.clone(),
            growth: self.growth.clone(),
        })
    }
}

impl PgStore {
    /// The SLA worker's range query (see `Store::sla_due`).
    async fn sla_due_page(
        &self,
        after: earshot_core::time::Timestamp,
        until: earshot_core::time::Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<(WorkspaceId, ConversationId, earshot_core::time::Timestamp)>> {
        let rows = sqlx::query(
            "SELECT workspace_id, id, sla_due_at FROM conversations \
             WHERE sla_due_at > $1 AND sla_due_at <= $2 ORDER BY sla_due_at, id LIMIT $3",
        )
        .bind(after.timestamp_millis())
        .bind(until.timestamp_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    WorkspaceId(r.try_get(0).map_err(db_err)?),
                    ConversationId(r.try_get(1).map_err(db_err)?),
                    earshot_core::time::from_millis(r.try_get(2).map_err(db_err)?),
                ))
            })
            .collect()
    }

    async fn list_conversations_page(
        &self,
        ws: WorkspaceId,
        query: &earshot_core::store::ConversationQuery,
    ) -> StoreResult<earshot_core::store::Page<earshot_core::Conversation>> {
        let sql = crate::queries::conversation_list_sql(q::CONVERSATION_COLUMNS, ws, query);
        let rows = q::bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let items = rows
            .iter()
            .map(q::conversation)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(crate::queries::conversation_page(items, query.limit))
    }
}

/// One batch's unit of work: the transaction (holding the workspace's ingest lock), its
/// workspace, how many messages it stored, and what the statistics refresh needs.
pub struct PgTx {
    tx: Transaction<'static, Postgres>,
    ws: WorkspaceId,
    stored: u64,
    /// The events ingest holds until the commit.
    held: Vec<crate::ingest::EventRow>,
    pool: PgPool,
    growth: Arc<std::sync::Mutex<Growth>>,
}

impl PgTx {
    async fn commit_tx(self) -> StoreResult<()> {
        self.tx.commit().await.map_err(db_err)?;
        note_growth(&self.pool, &self.growth, self.stored).await
    }
}

fn pair_list<T>(rows: &[PgRow], wrap: fn(i64) -> T) -> StoreResult<Vec<(String, T)>> {
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0).map_err(db_err)?,
                wrap(r.try_get(1).map_err(db_err)?),
            ))
        })
        .collect()
}

fn pairs<T>(rows: &[PgRow], wrap: fn(i64) -> T) -> StoreResult<HashMap<String, T>> {
    Ok(pair_list(rows, wrap)?.into_iter().collect())
}
