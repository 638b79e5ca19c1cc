//! Earshot's storage: the [`Store`] trait of `earshot-core`, implemented for SQLite (the
//! embedded default: one file, WAL) and PostgreSQL, each with its own migrations, applied
//! when the store opens. Both run the same ingest algorithm ([`ingest`]) through a small
//! per-database transaction interface, so threading and dedupe behave identically.

mod ingest;
pub mod postgres;
mod queries;
mod reports;
mod rows;
pub mod sqlite;
mod workflow;

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

/// Implements [`earshot_core::store::BatchUnit`] for a backend's ingest transaction (a
/// struct with the transaction `tx`, the workspace `ws` and a `stored` count), delegating to
/// the shared ingest algorithm and the backend's `q` module; the backend's own `finish`
/// commits.
macro_rules! batch_unit_impl {
    ($tx:ty) => {
        #[async_trait::async_trait]
        impl earshot_core::store::BatchUnit for $tx {
            async fn ingest(
                &mut self,
                batch: &[earshot_core::Inbound],
                annotations: &[earshot_core::store::Annotations],
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::store::IngestOutcome>> {
                if batch.is_empty() {
                    return Ok(Vec::new());
                }
                let ws = self.ws;
                let outcomes =
                    $crate::ingest::run(self, ws, batch, annotations, earshot_core::time::now())
                        .await?;
                self.stored += outcomes
                    .iter()
                    .filter(|o| matches!(o, earshot_core::store::IngestOutcome::Stored { .. }))
                    .count() as u64;
                Ok(outcomes)
            }
            async fn contexts(
                &mut self,
                ids: &[earshot_core::ConversationId],
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::Context>> {
                q::workflow_context_in(&mut self.tx, self.ws, ids).await
            }
            async fn change(
                &mut self,
                items: &[earshot_core::workflow::ChangeRequest],
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::Changed>> {
                q::change_conversations_in(&mut self.tx, self.ws, items).await
            }
            async fn enqueue(
                &mut self,
                items: &[earshot_core::workflow::NewOutbox],
            ) -> earshot_core::store::StoreResult<Vec<i64>> {
                q::enqueue_in(&mut self.tx, self.ws, items).await
            }
            async fn commit(self: Box<Self>) -> earshot_core::store::StoreResult<()> {
                (*self).finish().await
            }
        }
    };
}
pub(crate) use batch_unit_impl;

/// Implements [`Store`] for a backend by delegating to its `q` module (the shared queries),
/// reading from `$read` and writing to `$write`, and to its own `begin_unit`.
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
            async fn stored_among(
                &self,
                ws: earshot_core::WorkspaceId,
                batch: &[earshot_core::Inbound],
            ) -> earshot_core::store::StoreResult<Vec<bool>> {
                q::stored_among(&self.$read, ws, batch).await
            }
            async fn begin_batch(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Box<dyn earshot_core::store::BatchUnit>> {
                Ok(Box::new(self.begin_unit(ws).await?))
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
            async fn update_agent(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::AgentId,
                patch: &earshot_core::AgentPatch,
            ) -> earshot_core::store::StoreResult<earshot_core::Agent> {
                q::update_agent(&self.$write, ws, id, patch).await
            }
            async fn set_team_strategy(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::TeamId,
                strategy: earshot_core::assign::Strategy,
            ) -> earshot_core::store::StoreResult<earshot_core::Team> {
                q::set_team_strategy(&self.$write, ws, id, strategy).await
            }
            async fn update_contact(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ContactId,
                patch: &earshot_core::ContactPatch,
            ) -> earshot_core::store::StoreResult<earshot_core::Contact> {
                q::update_contact(&self.$write, ws, id, patch).await
            }
            async fn change_conversation(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ConversationId,
                change: &earshot_core::workflow::ConversationChange,
                actor: earshot_core::rules::Actor,
                extra: &[earshot_core::workflow::NewEvent],
            ) -> earshot_core::store::StoreResult<earshot_core::workflow::Changed> {
                q::change_conversation(&self.$write, ws, id, change, actor, extra).await
            }
            async fn workflow_context(
                &self,
                ws: earshot_core::WorkspaceId,
                ids: &[earshot_core::ConversationId],
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::Context>> {
                q::workflow_context(&self.$read, ws, ids).await
            }
            async fn change_conversations(
                &self,
                ws: earshot_core::WorkspaceId,
                items: &[earshot_core::workflow::ChangeRequest],
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::Changed>> {
                q::change_conversations(&self.$write, ws, items).await
            }
            async fn conversation_events(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ConversationId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::ConversationEvent>>
            {
                q::conversation_events(&self.$read, ws, id).await
            }
            async fn conversation_tags(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ConversationId,
            ) -> earshot_core::store::StoreResult<Vec<String>> {
                q::conversation_tags(&self.$read, ws, id).await
            }
            async fn sla_state(
                &self,
                ws: earshot_core::WorkspaceId,
                id: earshot_core::ConversationId,
            ) -> earshot_core::store::StoreResult<earshot_core::workflow::SlaState> {
                q::sla_state(&self.$read, ws, id).await
            }
            async fn team_conversations(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::TeamConversation>>
            {
                q::team_conversations(&self.$read, ws).await
            }
            async fn timers_due(
                &self,
                timer: earshot_core::workflow::Timer,
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
                q::timers_due(&self.$read, timer, after, until, limit).await
            }
            async fn create_user(
                &self,
                ws: earshot_core::WorkspaceId,
                email: &str,
                name: &str,
                role: &str,
                agent: Option<earshot_core::AgentId>,
                password_hash: &str,
            ) -> earshot_core::store::StoreResult<earshot_core::auth::User> {
                q::create_user(&self.$write, ws, email, name, role, agent, password_hash).await
            }
            async fn user_by_email(
                &self,
                email: &str,
            ) -> earshot_core::store::StoreResult<Option<(earshot_core::auth::User, String)>> {
                q::user_by_email(&self.$read, email).await
            }
            async fn create_session(
                &self,
                user: i64,
                token_hash: &str,
                csrf: &str,
                expires_at: earshot_core::time::Timestamp,
            ) -> earshot_core::store::StoreResult<()> {
                q::create_session(&self.$write, user, token_hash, csrf, expires_at).await
            }
            async fn session(
                &self,
                token_hash: &str,
                now: earshot_core::time::Timestamp,
            ) -> earshot_core::store::StoreResult<Option<(earshot_core::auth::User, String)>> {
                q::session(&self.$read, token_hash, now).await
            }
            async fn delete_session(
                &self,
                token_hash: &str,
            ) -> earshot_core::store::StoreResult<()> {
                q::delete_session(&self.$write, token_hash).await
            }
            async fn list_users(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::auth::User>> {
                q::list_users(&self.$read, ws).await
            }
            async fn inbox_details(
                &self,
                ws: earshot_core::WorkspaceId,
                ids: &[earshot_core::ConversationId],
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::store::InboxDetail>> {
                q::inbox_details(&self.$read, ws, ids).await
            }
            async fn list_saved_replies(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::store::SavedReply>> {
                q::list_saved_replies(&self.$read, ws).await
            }
            async fn create_saved_reply(
                &self,
                ws: earshot_core::WorkspaceId,
                name: &str,
                text: &str,
            ) -> earshot_core::store::StoreResult<earshot_core::store::SavedReply> {
                q::create_saved_reply(&self.$write, ws, name, text).await
            }
            async fn delete_saved_reply(
                &self,
                ws: earshot_core::WorkspaceId,
                id: i64,
            ) -> earshot_core::store::StoreResult<()> {
                q::delete_saved_reply(&self.$write, ws, id).await
            }
            async fn last_activity(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Option<earshot_core::time::Timestamp>> {
                q::last_activity(&self.$read, ws).await
            }
            async fn dashboard_counts(
                &self,
                ws: earshot_core::WorkspaceId,
                from: earshot_core::time::Timestamp,
                until: earshot_core::time::Timestamp,
            ) -> earshot_core::store::StoreResult<earshot_core::report::DashboardCounts> {
                q::dashboard_counts(&self.$read, ws, from, until).await
            }
            async fn workspaces_with_rules(
                &self,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::WorkspaceId>> {
                q::workspaces_with_rules(&self.$read).await
            }
            async fn timer_cursor(
                &self,
                name: &str,
            ) -> earshot_core::store::StoreResult<Option<earshot_core::time::Timestamp>> {
                q::timer_cursor(&self.$read, name).await
            }
            async fn set_timer_cursor(
                &self,
                name: &str,
                until: earshot_core::time::Timestamp,
            ) -> earshot_core::store::StoreResult<()> {
                q::set_timer_cursor(&self.$write, name, until).await
            }
            async fn create_rule(
                &self,
                ws: earshot_core::WorkspaceId,
                position: Option<i64>,
                rule: &earshot_core::rules::RuleDraft,
            ) -> earshot_core::store::StoreResult<earshot_core::workflow::RuleRecord> {
                q::create_rule(&self.$write, ws, position, rule).await
            }
            async fn list_rules(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::RuleRecord>> {
                q::list_rules(&self.$read, ws).await
            }
            async fn update_rule(
                &self,
                ws: earshot_core::WorkspaceId,
                id: i64,
                position: Option<i64>,
                rule: &earshot_core::rules::RuleDraft,
            ) -> earshot_core::store::StoreResult<earshot_core::workflow::RuleRecord> {
                q::update_rule(&self.$write, ws, id, position, rule).await
            }
            async fn delete_rule(
                &self,
                ws: earshot_core::WorkspaceId,
                id: i64,
            ) -> earshot_core::store::StoreResult<()> {
                q::delete_rule(&self.$write, ws, id).await
            }
            async fn create_sla_policy(
                &self,
                ws: earshot_core::WorkspaceId,
                policy: &earshot_core::sla::PolicyDraft,
            ) -> earshot_core::store::StoreResult<earshot_core::workflow::SlaPolicyRecord> {
                q::create_sla_policy(&self.$write, ws, policy).await
            }
            async fn list_sla_policies(
                &self,
                ws: earshot_core::WorkspaceId,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::SlaPolicyRecord>>
            {
                q::list_sla_policies(&self.$read, ws).await
            }
            async fn enqueue(
                &self,
                ws: earshot_core::WorkspaceId,
                items: &[earshot_core::workflow::NewOutbox],
            ) -> earshot_core::store::StoreResult<Vec<i64>> {
                q::enqueue(&self.$write, ws, items).await
            }
            async fn outbox_due(
                &self,
                now: earshot_core::time::Timestamp,
                limit: u32,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::OutboxItem>> {
                q::outbox_due(&self.$read, now, limit).await
            }
            async fn outbox_result(
                &self,
                id: i64,
                delivery: &earshot_core::workflow::Delivery,
                at: earshot_core::time::Timestamp,
            ) -> earshot_core::store::StoreResult<()> {
                q::outbox_result(&self.$write, id, delivery, at).await
            }
            async fn list_outbox(
                &self,
                ws: earshot_core::WorkspaceId,
                conversation: Option<earshot_core::ConversationId>,
            ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::OutboxItem>> {
                q::list_outbox(&self.$read, ws, conversation).await
            }
        }
    };
}
pub(crate) use store_impl;
