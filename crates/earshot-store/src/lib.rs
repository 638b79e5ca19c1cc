//! Earshot's storage: the [`Store`] trait of `earshot-core`, implemented for SQLite (the
//! embedded default: one file, WAL) and PostgreSQL, each with its own migrations, applied
//! when the store opens. Both run the same ingest algorithm ([`ingest`]) through a small
//! per-database transaction interface, so threading and dedupe behave identically.

mod changes;
mod ingest;
pub mod postgres;
mod queries;
pub mod sqlite;

use earshot_core::store::StoreError;
use earshot_core::Store;
use std::sync::Arc;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Opens the database named by `url` (`sqlite://PATH` or `postgres://…`), creating the
/// SQLite file if needed, and applies pending migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(url).await?))
    } else {
        Err(StoreError::Invalid(format!(
            "unsupported database URL `{url}`: expected sqlite://PATH or postgres://USER@HOST/DB"
        )))
    }
}

pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("already exists: {}", taken(d.as_ref())))
        }
        _ => StoreError::Database(Box::new(e)),
    }
}

/// What a unique violation means to the person who caused it — which field is taken — in
/// words, never the database's own text (table names, constraint names, SQL).
fn taken(d: &dyn sqlx::error::DatabaseError) -> String {
    // SQLite: `UNIQUE constraint failed: users.email`; PostgreSQL names the constraint,
    // `users_email_key`, `topics_workspace_id_name_key`.
    let columns: Vec<String> =
        if let Some(rest) = d.message().strip_prefix("UNIQUE constraint failed: ") {
            rest.split(", ")
                .map(|c| c.rsplit('.').next().unwrap_or(c).to_string())
                .collect()
        } else if let Some(c) = d.constraint() {
            let c = d
                .table()
                .and_then(|t| c.strip_prefix(t))
                .unwrap_or(c)
                .trim_start_matches('_');
            let c = c
                .strip_suffix("_key")
                .or_else(|| c.strip_suffix("_idx"))
                .unwrap_or(c);
            vec![c.to_string()]
        } else {
            Vec::new()
        };
    let named: Vec<String> = columns
        .iter()
        .map(|c| {
            c.replace("workspace_id", "")
                .trim_matches('_')
                .replace('_', " ")
        })
        .filter(|c| !c.is_empty())
        .collect();
    if named.is_empty() {
        "it is taken".into()
    } else {
        format!("the {} is taken", named.join(" and "))
    }
}

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Database(format!("stored {what} `{value}` is not valid").into())
}
