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
            StoreError::Conflict(format!("already exists: {}", d.message()))
        }
        _ => StoreError::Database(Box::new(e)),
    }
}

pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Database(format!("stored {what} `{value}` is not valid").into())
}
