//! Earshot's storage: the [`Store`] trait of `earshot-core`, implemented for SQLite (the
//! embedded default: one file, WAL) and PostgreSQL, each with its own migrations, applied
//! when the store opens. Both run the same ingest algorithm ([`ingest`]) through a small
//! per-database transaction interface, so threading and dedupe behave identically.

mod ingest;
pub mod postgres;
mod queries;
mod rows;
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

/// Implements [`Store`] for a backend by delegating to its `q` module (the shared queries),
/// reading from `$read` and writing to `$write`, and to its own `ingest_batch`.
macro_rules! store_impl {
    ($ty:ty, $backend:literal, $read:ident, $write:ident) => {
        #[async_trait::async_trait]
        impl earshot_core::Store for $ty {
            fn backend(&self) -> &'static str {
                $backend
            }
            async fn ping(&self) -> earshot_core::store::StoreResult<()> {
                sqlx::query("SELECT 1")
                    .execute(&self.$read)
                    .await
                    .map_err($crate::db_err)?;
                Ok(())
            }
            async fn ensure_workspace(
                &self,
                name: &str,
            ) -> earshot_core::store::StoreResult<earshot_core::Workspace> {
                q::ensure_workspace(&self.$write, name).await
            }
            async fn workspace_by_name(
                &self,
                name: &str,
            ) -> earshot_core::store::StoreResult<Option<earshot_core::Workspace>> {
                q::workspace_by_name(&self.$read, name).await
            }
            async fn create_api_token(
                &self,
                ws: earshot_core::WorkspaceId,
                label: &str,
                token_hash: &str,
            ) -> earshot_core::store::StoreResult<earshot_core::ApiTokenId> {
                q::create_api_token(&self.$write, ws, label, token_hash).await
            }
            async fn workspace_for_token(
                &self,
                token_hash: &str,
            ) -> earshot_core::store::StoreResult<Option<earshot_core::Workspace>> {
                q::workspace_for_token(&self.$read, token_hash).await
            }
            async fn ensure_channel(
                &self,
                ws: earshot_core::WorkspaceId,
                kind: earshot_core::ChannelKind,
                name: &str,
                role: earshot_core::ChannelRole,
            ) -> earshot_core::store::StoreResult<earshot_core::Channel> {
                q::ensure_channel(&self.$write, ws, kind, name, role).await
            }
            async fn list_channels(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::Channel>> {
                q::list_channels(&self.$read, ws).await
            }
            async fn ingest_annotated(
                &self,
                ws: earshot_core::WorkspaceId,
                batch: &[earshot_core::Inbound],
                annotations: &[earshot_core::store::Annotations],
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::store::IngestOutcome>> {
                if batch.is_empty() {
                    return Ok(Vec::new());
                }
                self.ingest_batch(ws, batch, annotations).await
            }
            async fn sla_due(
                &self,
                after: earshot_core::time::Timestamp,
                until: earshot_core::time::Timestamp,
                limit: u32,
            ) -> earshot_core::store::StoreResult<
                Vec<(
                    earshot_core::WorkspaceId,
                    earshot_core::ConversationId,
                    earshot_core::time::Timestamp,
                )>,
            > {
                self.sla_due_page(after, until, limit).await
            }

            async fn conversation_topics(
                &self,
                ws: earshot_core::WorkspaceId,
                conversation: earshot_core::ConversationId,
            ) -> earshot_core::store::StoreResult<
                Vec<(earshot_core::MessageId, earshot_core::TopicId)>,
            > {
                q::conversation_topics(&self.$read, ws, conversation).await
            }

            async fn conversation_priority(
                &self,
                ws: earshot_core::WorkspaceId,
                conversation: earshot_core::ConversationId,
            ) -> earshot_core::store::StoreResult<Option<earshot_core::priority::Priority>> {
                q::conversation_priority(&self.$read, ws, conversation).await
            }

            async fn conversation_enrichments(
                &self,
                ws: earshot_core::WorkspaceId,
                conversation: earshot_core::ConversationId,
            ) -> earshot_core::store::StoreResult<
                Vec<(
                    earshot_core::MessageId,
                    earshot_core::enrichment::Enrichment,
                )>,
            > {
                q::conversation_enrichments(&self.$read, ws, conversation).await
            }
            async fn unmatched_listening_counts(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<(earshot_core::ChannelId, i64)>> {
                q::unmatched_listening_counts(&self.$read, ws).await
            }
            async fn list_conversations(
                &self,
                ws: earshot_core::WorkspaceId,
                query: &earshot_core::store::ConversationQuery,
            ) -> earshot_core::store::StoreResult<
                earshot_core::store::Page<earshot_core::Conversation>,
            > {
                self.list_conversations_page(ws, query).await
            }
            async fn get_conversation(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ConversationId,
            ) -> earshot_core::store::StoreResult<Option<earshot_core::Conversation>> {
                q::get_conversation(&self.$read, ws, id).await
            }
            async fn conversation_messages(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ConversationId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::Message>> {
                q::conversation_messages(&self.$read, ws, id).await
            }
            async fn message_by_external_id(
                &self,
                ws: earshot_core::WorkspaceId,
                kind: earshot_core::ChannelKind,
                account: &str,
                external_id: &str,
            ) -> earshot_core::store::StoreResult<Option<earshot_core::Message>> {
                q::message_by_external_id(&self.$read, ws, kind, account, external_id).await
            }
            async fn list_contacts(
                &self,
                ws: earshot_core::WorkspaceId,
                query: &earshot_core::store::ContactQuery,
            ) -> earshot_core::store::StoreResult<earshot_core::store::Page<earshot_core::Contact>>
            {
                q::list_contacts(&self.$read, ws, query).await
            }
            async fn get_contact(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ContactId,
            ) -> earshot_core::store::StoreResult<Option<earshot_core::ContactProfile>> {
                q::get_contact(&self.$read, ws, id).await
            }
            async fn create_team(
                &self,
                ws: earshot_core::WorkspaceId,
                name: &str,
            ) -> earshot_core::store::StoreResult<earshot_core::Team> {
                q::create_team(&self.$write, ws, name).await
            }
            async fn list_teams(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::Team>> {
                q::list_teams(&self.$read, ws).await
            }
            async fn create_agent(
                &self,
                ws: earshot_core::WorkspaceId,
                agent: &earshot_core::NewAgent,
            ) -> earshot_core::store::StoreResult<earshot_core::Agent> {
                q::create_agent(&self.$write, ws, agent).await
            }
            async fn list_agents(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::Agent>> {
                q::list_agents(&self.$read, ws).await
            }
            async fn assign_conversation(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ConversationId,
                agent: Option<earshot_core::AgentId>,
                team: Option<earshot_core::TeamId>,
            ) -> earshot_core::store::StoreResult<earshot_core::Conversation> {
                q::assign_conversation(&self.$write, ws, id, agent, team).await
            }
            async fn set_conversation_status(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ConversationId,
                status: earshot_core::ConversationStatus,
            ) -> earshot_core::store::StoreResult<earshot_core::Conversation> {
                q::set_conversation_status(&self.$write, ws, id, status).await
            }
            async fn counts(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<earshot_core::store::Counts> {
                q::counts(&self.$read, ws).await
            }
            async fn create_topic(
                &self,
                ws: earshot_core::WorkspaceId,
                draft: &earshot_core::TopicDraft,
            ) -> earshot_core::store::StoreResult<earshot_core::Topic> {
                q::create_topic(&self.$write, ws, draft).await
            }
            async fn list_topics(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::Topic>> {
                q::list_topics(&self.$read, ws).await
            }
            async fn get_topic(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::TopicId,
            ) -> earshot_core::store::StoreResult<Option<earshot_core::Topic>> {
                q::get_topic(&self.$read, ws, id).await
            }
            async fn update_topic(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::TopicId,
                draft: &earshot_core::TopicDraft,
            ) -> earshot_core::store::StoreResult<earshot_core::Topic> {
                q::update_topic(&self.$write, ws, id, draft).await
            }
            async fn delete_topic(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::TopicId,
            ) -> earshot_core::store::StoreResult<()> {
                q::delete_topic(&self.$write, ws, id).await
            }
            async fn recent_messages(
                &self,
                ws: earshot_core::WorkspaceId,
                limit: u32,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::MessageSample>> {
                q::recent_messages(&self.$read, ws, limit).await
            }
        }
    };
}
pub(crate) use store_impl;
