//! SQLite, the embedded default: one file in WAL mode. Writes go through a single-connection
//! pool with `BEGIN IMMEDIATE` (SQLite has one writer anyway; this makes it explicit and
//! avoids upgrade deadlocks), reads through a pool of readers that never block the writer.
//! Batches are passed to SQLite as JSON arrays and expanded with `json_each`, so an ingest
//! batch costs a handful of statements, not a handful per message.

use crate::ingest::{
    ContactRow, ConversationRow, ConversationUpdate, Current, EnrichmentRow, IdTable, IdentityRow,
    IngestTx, MessageRow,
};
use crate::{corrupt, db_err};
use async_trait::async_trait;
use earshot_core::store::{StoreError, StoreResult};
use earshot_core::timeline::TimelineEntry;
use earshot_core::{ChannelId, ChannelKind, ChannelRole, ConversationId, MessageId, WorkspaceId};
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

// The shared queries (`shared/`), compiled for SQLite.
type Db = Sqlite;
type DbRow = sqlx::sqlite::SqliteRow;
type Backend = SqliteStore;
type UnitTx = SqliteTx;
const BACKEND: &str = "sqlite";
// The minutes index holds each answered conversation's minutes in order, so the histogram
// streams out of it without a sort; SQLite's planner, without statistics, would pick the
// range index and sort instead (3x slower at a million messages).
const FIRST_RESPONSES_FROM: &str =
    "FROM conversations INDEXED BY conversations_first_response_minutes";
// Compiled once per backend on purpose: the same SQL over a different `Db`.
#[allow(clippy::duplicate_mod)]
#[path = "shared/mod.rs"]
mod q;

mod ingest_tx;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Readers never block the writer (WAL).
    fn reader(&self) -> &SqlitePool {
        &self.reader
    }
    /// The one writer connection.
    fn writer(&self) -> &SqlitePool {
        &self.writer
    }
    /// After an erasure: the write-ahead log is checkpointed into the database and
    /// truncated, so the deleted rows (zeroed on their pages: `secure_delete`) are not left
    /// in older log frames either. A reader still on an old snapshot can make it wait; the
    /// next checkpoint then finishes the job.
    async fn after_erasure(&self) -> StoreResult<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://PATH`) and migrates it.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("bad SQLite URL `{url}`: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Durable: a committed batch survives power loss, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536")
            // Deleted rows are overwritten, not left in free space: an erased customer's
            // words must not survive in the file.
            .pragma("secure_delete", "on");
        let in_memory = url.contains(":memory:");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(db_err)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        q::backfill_identity_keys(&writer).await?;
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options.read_only(true))
                .await
                .map_err(db_err)?
        };
        Ok(Self { writer, reader })
    }
}

/// One batch's unit of work: the write transaction (`BEGIN IMMEDIATE`, so batches of every
/// workspace take turns), its workspace, how many messages it stored and the events ingest
/// holds until the commit.
pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    ws: WorkspaceId,
    stored: u64,
    held: Vec<crate::ingest::EventRow>,
}

impl SqliteTx {
    async fn commit_tx(self) -> StoreResult<()> {
        self.tx.commit().await.map_err(db_err)
    }
}

/// `(…)` for `IN`: the ids as one JSON array expanded by `json_each` (sqlx-sqlite looks each
/// bound parameter up by name, which grows with the square of their number: a batch's ids
/// as separate parameters cost more than the queries did).
pub(crate) fn id_list(sql: &mut crate::queries::Sql, ids: &[i64]) {
    sql.push("(SELECT value FROM json_each(")
        .bind(crate::queries::Bind::Text(json_text(&ids)))
        .push("))");
}

/// [`id_list`] for text values.
pub(crate) fn text_list(sql: &mut crate::queries::Sql, values: &[&str]) {
    sql.push("(SELECT value FROM json_each(")
        .bind(crate::queries::Bind::Text(json_text(&values)))
        .push("))");
}

/// `json_each(…) AS v`: rows of values as one JSON array of arrays (see [`id_list`]),
/// their columns read with [`column`]; booleans arrive as 1 and 0. Used as a plain
/// table-valued function (not a subquery), so SQLite drives the statement from these rows.
pub(crate) fn rows_source(
    sql: &mut crate::queries::Sql,
    _width: usize,
    rows: &[Vec<crate::queries::Bind>],
) {
    use crate::queries::Bind;
    let data: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            serde_json::Value::Array(
                row.iter()
                    .map(|b| match b {
                        Bind::I64(v) => json!(v),
                        Bind::I32(v) => json!(v),
                        Bind::Text(v) => json!(v),
                        Bind::Bool(v) => json!(v),
                        Bind::OptI64(v) => json!(v),
                        Bind::OptI32(v) => json!(v),
                        Bind::OptText(v) => json!(v),
                        Bind::OptF64(v) => json!(v),
                    })
                    .collect(),
            )
        })
        .collect();
    sql.push("json_each(")
        .bind(Bind::Text(json_text(&data)))
        .push(") AS v");
}

/// `n` fresh ids for `table` inside a write transaction (SQLite's write lock makes the next
/// ids after the largest safe to take), so batch INSERTs need no `RETURNING`, whose rows
/// sqlx-sqlite would hand over one by one.
pub(crate) async fn next_ids(
    tx: &mut Transaction<'_, Sqlite>,
    table: &str,
    n: usize,
) -> StoreResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let max: i64 = sqlx::query_scalar(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok((max + 1..=max + n as i64).collect())
}

/// The `n`th column (from 1) of a [`rows_source`] row.
pub(crate) fn column(n: usize) -> String {
    format!("v.value->>{}", n - 1)
}

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain values serialize")
}

impl SqliteTx {
    /// Runs a query whose single row is a `json_group_array(...)` and decodes it. sqlx hands
    /// every result row from SQLite's worker thread to the runtime with a wake-up; folding a
    /// lookup's rows into one JSON value makes it one hand-off instead of thousands per batch.
    async fn json_rows<'q, T: serde::de::DeserializeOwned>(
        &mut self,
        query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> StoreResult<Vec<T>> {
        let text: Option<String> = query
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db_err)?
            .try_get(0)
            .map_err(db_err)?;
        let text = text.unwrap_or_else(|| "[]".into());
        serde_json::from_str(&text).map_err(|e| corrupt("lookup result", &e.to_string()))
    }
}

impl SqliteStore {
    async fn begin_unit(&self, ws: WorkspaceId) -> StoreResult<SqliteTx> {
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err)?;
        Ok(SqliteTx {
            tx,
            ws,
            stored: 0,
            held: Vec::new(),
        })
    }
}

impl SqliteStore {
    /// The SLA worker's range query (see `Store::sla_due`), folded into one JSON row like the
    /// inbox page: a million due rows handed over one by one took 5.2 s.
    async fn sla_due_page(
        &self,
        after: earshot_core::time::Timestamp,
        until: earshot_core::time::Timestamp,
        limit: u32,
    ) -> StoreResult<
        Vec<(
            WorkspaceId,
            earshot_core::ConversationId,
            earshot_core::time::Timestamp,
        )>,
    > {
        let json: Option<String> = sqlx::query_scalar(
            "SELECT json_group_array(json_array(workspace_id, id, sla_due_at) ORDER BY sla_due_at, id) FROM \
             (SELECT workspace_id, id, sla_due_at FROM conversations \
              WHERE sla_due_at > $1 AND sla_due_at <= $2 ORDER BY sla_due_at, id LIMIT $3)",
        )
        .bind(after.timestamp_millis())
        .bind(until.timestamp_millis())
        .bind(i64::from(limit))
        .fetch_one(&self.reader)
        .await
        .map_err(db_err)?;
        let rows: Vec<(i64, i64, i64)> = serde_json::from_str(json.as_deref().unwrap_or("[]"))
            .map_err(|e| corrupt("due conversations", &e.to_string()))?;
        Ok(rows
            .into_iter()
            .map(|(ws, id, due)| {
                (
                    WorkspaceId(ws),
                    earshot_core::ConversationId(id),
                    earshot_core::time::from_millis(due),
                )
            })
            .collect())
    }

    /// The inbox page, folded into one JSON row by SQLite: sqlx-sqlite hands each result row
    /// to the runtime separately (a channel message and a wake-up, and a copy of every value),
    /// which cost more than the query itself at 50 rows a page.
    async fn list_conversations_page(
        &self,
        ws: WorkspaceId,
        query: &earshot_core::store::ConversationQuery,
    ) -> StoreResult<earshot_core::store::Page<earshot_core::Conversation>> {
        let inner = crate::queries::conversation_list_sql(LIST_COLUMNS, ws, query);
        let text = format!(
            "SELECT json_group_array(json_array(id, workspace_id, channel_id, kind, contact_id, status, priority, \
             assignee_id, team_id, message_count, first_message_at, last_message_at, first_response_at, \
             waiting_since, created_at, updated_at, sla_due_at) ORDER BY priority DESC, waiting_key ASC, id ASC) FROM ({})",
            inner.text
        );
        let row = q::bind_all(sqlx::query(&text), &inner.binds)
            .fetch_one(&self.reader)
            .await
            .map_err(db_err)?;
        let json: Option<String> = row.try_get(0).map_err(db_err)?;
        let rows: Vec<ConversationJson> = serde_json::from_str(json.as_deref().unwrap_or("[]"))
            .map_err(|e| corrupt("conversation page", &e.to_string()))?;
        let items = rows
            .into_iter()
            .map(ConversationJson::into_conversation)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(crate::queries::conversation_page(items, query.limit))
    }
}

/// The inner query's columns, named for the JSON fold above (it also orders by waiting_key).
const LIST_COLUMNS: &str = "c.id, c.workspace_id, c.channel_id, ch.kind, c.contact_id, c.status, c.priority, \
     c.assignee_id, c.team_id, c.message_count, c.first_message_at, c.last_message_at, c.first_response_at, \
     c.waiting_since, c.created_at, c.updated_at, c.waiting_key, c.sla_due_at";

/// One conversation as the JSON fold returns it.
#[derive(serde::Deserialize)]
struct ConversationJson(
    i64,
    i64,
    i64,
    String,
    i64,
    String,
    i32,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
);

impl ConversationJson {
    fn into_conversation(self) -> StoreResult<earshot_core::Conversation> {
        use earshot_core::time::from_millis;
        use earshot_core::*;
        let Self(
            id,
            ws,
            channel,
            kind,
            contact,
            status,
            priority,
            assignee,
            team,
            count,
            first,
            last,
            response,
            waiting,
            created,
            updated,
            due,
        ) = self;
        Ok(Conversation {
            id: ConversationId(id),
            workspace_id: WorkspaceId(ws),
            channel_id: ChannelId(channel),
            channel_kind: kind.parse().map_err(|_| corrupt("channel kind", &kind))?,
            contact_id: ContactId(contact),
            status: status.parse().map_err(|_| corrupt("status", &status))?,
            priority,
            assignee_id: assignee.map(AgentId),
            team_id: team.map(TeamId),
            message_count: count,
            first_message_at: from_millis(first),
            last_message_at: from_millis(last),
            first_response_at: response.map(from_millis),
            waiting_since: waiting.map(from_millis),
            sla_due_at: due.map(from_millis),
            created_at: from_millis(created),
            updated_at: from_millis(updated),
        })
    }
}
