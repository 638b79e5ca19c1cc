//! [`earshot_core::Store`] for the backend, by delegating to the shared queries (reading
//! from its reader pool, writing to its writer pool) and to the backend's own methods.

use super::*;

#[async_trait::async_trait]
impl earshot_core::store::WorkspaceStore for Backend {
    fn backend(&self) -> &'static str {
        BACKEND
    }
    async fn ping(&self) -> earshot_core::store::StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(self.reader())
            .await
            .map_err(crate::db_err)?;
        Ok(())
    }
    async fn ensure_workspace(
        &self,
        name: &str,
    ) -> earshot_core::store::StoreResult<earshot_core::Workspace> {
        ensure_workspace(self.writer(), name).await
    }
    async fn workspace_by_name(
        &self,
        name: &str,
    ) -> earshot_core::store::StoreResult<Option<earshot_core::Workspace>> {
        workspace_by_name(self.reader(), name).await
    }
    async fn create_api_token(
        &self,
        ws: earshot_core::WorkspaceId,
        label: &str,
        token_hash: &str,
    ) -> earshot_core::store::StoreResult<earshot_core::ApiTokenId> {
        create_api_token(self.writer(), ws, label, token_hash).await
    }
    async fn workspace_for_token(
        &self,
        token_hash: &str,
    ) -> earshot_core::store::StoreResult<Option<(earshot_core::Workspace, String)>> {
        workspace_for_token(self.reader(), token_hash).await
    }
    async fn ensure_channel(
        &self,
        ws: earshot_core::WorkspaceId,
        kind: earshot_core::ChannelKind,
        name: &str,
        role: earshot_core::ChannelRole,
    ) -> earshot_core::store::StoreResult<earshot_core::Channel> {
        ensure_channel(self.writer(), ws, kind, name, role).await
    }
    async fn list_channels(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::Channel>> {
        list_channels(self.reader(), ws).await
    }
    async fn counts(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<earshot_core::store::Counts> {
        counts(self.reader(), ws).await
    }
}

#[async_trait::async_trait]
impl earshot_core::store::IngestStore for Backend {
    async fn stored_among(
        &self,
        ws: earshot_core::WorkspaceId,
        batch: &[earshot_core::Inbound],
    ) -> earshot_core::store::StoreResult<Vec<bool>> {
        stored_among(self.reader(), ws, batch).await
    }
    async fn begin_batch(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Box<dyn earshot_core::store::BatchUnit>> {
        Ok(Box::new(self.begin_unit(ws).await?))
    }
}

#[async_trait::async_trait]
impl earshot_core::store::ConversationStore for Backend {
    async fn conversation_topics(
        &self,
        ws: earshot_core::WorkspaceId,
        conversation: earshot_core::ConversationId,
    ) -> earshot_core::store::StoreResult<Vec<(earshot_core::MessageId, earshot_core::TopicId)>>
    {
        conversation_topics(self.reader(), ws, conversation).await
    }
    async fn conversation_priority(
        &self,
        ws: earshot_core::WorkspaceId,
        conversation: earshot_core::ConversationId,
    ) -> earshot_core::store::StoreResult<Option<earshot_core::priority::Priority>> {
        conversation_priority(self.reader(), ws, conversation).await
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
        conversation_enrichments(self.reader(), ws, conversation).await
    }
    async fn list_conversations(
        &self,
        ws: earshot_core::WorkspaceId,
        query: &earshot_core::store::ConversationQuery,
    ) -> earshot_core::store::StoreResult<earshot_core::store::Page<earshot_core::Conversation>>
    {
        self.list_conversations_page(ws, query).await
    }
    async fn get_conversation(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::ConversationId,
    ) -> earshot_core::store::StoreResult<Option<earshot_core::Conversation>> {
        get_conversation(self.reader(), ws, id).await
    }
    async fn conversation_messages(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::ConversationId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::Message>> {
        conversation_messages(self.reader(), ws, id).await
    }
    async fn message_by_external_id(
        &self,
        ws: earshot_core::WorkspaceId,
        kind: earshot_core::ChannelKind,
        account: &str,
        external_id: &str,
    ) -> earshot_core::store::StoreResult<Option<earshot_core::Message>> {
        message_by_external_id(self.reader(), ws, kind, account, external_id).await
    }
    async fn recent_messages(
        &self,
        ws: earshot_core::WorkspaceId,
        limit: u32,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::MessageSample>> {
        recent_messages(self.reader(), ws, limit).await
    }
    async fn change_conversation(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::ConversationId,
        change: &earshot_core::workflow::ConversationChange,
        actor: earshot_core::rules::Actor,
        extra: &[earshot_core::workflow::NewEvent],
    ) -> earshot_core::store::StoreResult<earshot_core::workflow::Changed> {
        change_conversation(self.writer(), ws, id, change, actor, extra).await
    }
    async fn workflow_context(
        &self,
        ws: earshot_core::WorkspaceId,
        ids: &[earshot_core::ConversationId],
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::Context>> {
        workflow_context(self.reader(), ws, ids).await
    }
    async fn change_conversations(
        &self,
        ws: earshot_core::WorkspaceId,
        items: &[earshot_core::workflow::ChangeRequest],
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::Changed>> {
        change_conversations(self.writer(), ws, items).await
    }
    async fn conversation_events(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::ConversationId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::ConversationEvent>> {
        conversation_events(self.reader(), ws, id).await
    }
    async fn conversation_tags(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::ConversationId,
    ) -> earshot_core::store::StoreResult<Vec<String>> {
        conversation_tags(self.reader(), ws, id).await
    }
    async fn sla_state(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::ConversationId,
    ) -> earshot_core::store::StoreResult<earshot_core::workflow::SlaState> {
        sla_state(self.reader(), ws, id).await
    }
}

#[async_trait::async_trait]
impl earshot_core::store::PeopleStore for Backend {
    async fn create_team(
        &self,
        ws: earshot_core::WorkspaceId,
        name: &str,
    ) -> earshot_core::store::StoreResult<earshot_core::Team> {
        create_team(self.writer(), ws, name).await
    }
    async fn list_teams(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::Team>> {
        list_teams(self.reader(), ws).await
    }
    async fn create_agent(
        &self,
        ws: earshot_core::WorkspaceId,
        agent: &earshot_core::NewAgent,
    ) -> earshot_core::store::StoreResult<earshot_core::Agent> {
        create_agent(self.writer(), ws, agent).await
    }
    async fn list_agents(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::Agent>> {
        list_agents(self.reader(), ws).await
    }
    async fn update_agent(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::AgentId,
        patch: &earshot_core::AgentPatch,
    ) -> earshot_core::store::StoreResult<earshot_core::Agent> {
        update_agent(self.writer(), ws, id, patch).await
    }
    async fn set_team_strategy(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::TeamId,
        strategy: earshot_core::assign::Strategy,
    ) -> earshot_core::store::StoreResult<earshot_core::Team> {
        set_team_strategy(self.writer(), ws, id, strategy).await
    }
    async fn team_conversations(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::TeamConversation>> {
        team_conversations(self.reader(), ws).await
    }
}

#[async_trait::async_trait]
impl earshot_core::store::TopicStore for Backend {
    async fn unmatched_listening_counts(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<(earshot_core::ChannelId, i64)>> {
        unmatched_listening_counts(self.reader(), ws).await
    }
    async fn create_topic(
        &self,
        ws: earshot_core::WorkspaceId,
        draft: &earshot_core::TopicDraft,
    ) -> earshot_core::store::StoreResult<earshot_core::Topic> {
        create_topic(self.writer(), ws, draft).await
    }
    async fn list_topics(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::Topic>> {
        list_topics(self.reader(), ws).await
    }
    async fn get_topic(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::TopicId,
    ) -> earshot_core::store::StoreResult<Option<earshot_core::Topic>> {
        get_topic(self.reader(), ws, id).await
    }
    async fn update_topic(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::TopicId,
        draft: &earshot_core::TopicDraft,
    ) -> earshot_core::store::StoreResult<earshot_core::Topic> {
        update_topic(self.writer(), ws, id, draft).await
    }
    async fn delete_topic(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::TopicId,
    ) -> earshot_core::store::StoreResult<()> {
        delete_topic(self.writer(), ws, id).await
    }
}

#[async_trait::async_trait]
impl earshot_core::store::RuleStore for Backend {
    async fn create_rule(
        &self,
        ws: earshot_core::WorkspaceId,
        position: Option<i64>,
        rule: &earshot_core::rules::RuleDraft,
    ) -> earshot_core::store::StoreResult<earshot_core::workflow::RuleRecord> {
        create_rule(self.writer(), ws, position, rule).await
    }
    async fn list_rules(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::RuleRecord>> {
        list_rules(self.reader(), ws).await
    }
    async fn update_rule(
        &self,
        ws: earshot_core::WorkspaceId,
        id: i64,
        position: Option<i64>,
        rule: &earshot_core::rules::RuleDraft,
    ) -> earshot_core::store::StoreResult<earshot_core::workflow::RuleRecord> {
        update_rule(self.writer(), ws, id, position, rule).await
    }
    async fn delete_rule(
        &self,
        ws: earshot_core::WorkspaceId,
        id: i64,
    ) -> earshot_core::store::StoreResult<()> {
        delete_rule(self.writer(), ws, id).await
    }
    async fn create_sla_policy(
        &self,
        ws: earshot_core::WorkspaceId,
        policy: &earshot_core::sla::PolicyDraft,
    ) -> earshot_core::store::StoreResult<earshot_core::workflow::SlaPolicyRecord> {
        create_sla_policy(self.writer(), ws, policy).await
    }
    async fn list_sla_policies(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::SlaPolicyRecord>> {
        list_sla_policies(self.reader(), ws).await
    }
}

#[async_trait::async_trait]
impl earshot_core::store::TimerStore for Backend {
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
        timers_due(self.reader(), timer, after, until, limit).await
    }
    async fn workspaces_with_rules(
        &self,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::WorkspaceId>> {
        workspaces_with_rules(self.reader()).await
    }
    async fn timer_cursor(
        &self,
        name: &str,
    ) -> earshot_core::store::StoreResult<Option<earshot_core::time::Timestamp>> {
        timer_cursor(self.reader(), name).await
    }
    async fn set_timer_cursor(
        &self,
        name: &str,
        until: earshot_core::time::Timestamp,
    ) -> earshot_core::store::StoreResult<()> {
        set_timer_cursor(self.writer(), name, until).await
    }
    async fn enqueue(
        &self,
        ws: earshot_core::WorkspaceId,
        items: &[earshot_core::workflow::NewOutbox],
    ) -> earshot_core::store::StoreResult<Vec<i64>> {
        enqueue(self.writer(), ws, items).await
    }
    async fn outbox_due(
        &self,
        now: earshot_core::time::Timestamp,
        limit: u32,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::OutboxItem>> {
        outbox_due(self.reader(), now, limit).await
    }
    async fn outbox_result(
        &self,
        id: i64,
        delivery: &earshot_core::workflow::Delivery,
        at: earshot_core::time::Timestamp,
    ) -> earshot_core::store::StoreResult<()> {
        outbox_result(self.writer(), id, delivery, at).await
    }
    async fn list_outbox(
        &self,
        ws: earshot_core::WorkspaceId,
        conversation: Option<earshot_core::ConversationId>,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::OutboxItem>> {
        list_outbox(self.reader(), ws, conversation).await
    }
}

#[async_trait::async_trait]
impl earshot_core::store::AccountStore for Backend {
    async fn create_user(
        &self,
        ws: earshot_core::WorkspaceId,
        email: &str,
        name: &str,
        role: &str,
        agent: Option<earshot_core::AgentId>,
        password_hash: &str,
    ) -> earshot_core::store::StoreResult<earshot_core::auth::User> {
        create_user(self.writer(), ws, email, name, role, agent, password_hash).await
    }
    async fn user_by_email(
        &self,
        email: &str,
    ) -> earshot_core::store::StoreResult<Option<(earshot_core::auth::User, String)>> {
        user_by_email(self.reader(), email).await
    }
    async fn create_session(
        &self,
        user: i64,
        token_hash: &str,
        csrf: &str,
        expires_at: earshot_core::time::Timestamp,
    ) -> earshot_core::store::StoreResult<()> {
        create_session(self.writer(), user, token_hash, csrf, expires_at).await
    }
    async fn session(
        &self,
        token_hash: &str,
        now: earshot_core::time::Timestamp,
    ) -> earshot_core::store::StoreResult<Option<(earshot_core::auth::User, String)>> {
        session(self.reader(), token_hash, now).await
    }
    async fn delete_session(&self, token_hash: &str) -> earshot_core::store::StoreResult<()> {
        delete_session(self.writer(), token_hash).await
    }
    async fn list_users(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::auth::User>> {
        list_users(self.reader(), ws).await
    }
}

#[async_trait::async_trait]
impl earshot_core::store::ReadModelStore for Backend {
    async fn inbox_details(
        &self,
        ws: earshot_core::WorkspaceId,
        ids: &[earshot_core::ConversationId],
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::store::InboxDetail>> {
        inbox_details(self.reader(), ws, ids).await
    }
    async fn list_saved_replies(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::store::SavedReply>> {
        list_saved_replies(self.reader(), ws).await
    }
    async fn create_saved_reply(
        &self,
        ws: earshot_core::WorkspaceId,
        name: &str,
        text: &str,
    ) -> earshot_core::store::StoreResult<earshot_core::store::SavedReply> {
        create_saved_reply(self.writer(), ws, name, text).await
    }
    async fn delete_saved_reply(
        &self,
        ws: earshot_core::WorkspaceId,
        id: i64,
    ) -> earshot_core::store::StoreResult<()> {
        delete_saved_reply(self.writer(), ws, id).await
    }
    async fn last_activity(
        &self,
        ws: earshot_core::WorkspaceId,
    ) -> earshot_core::store::StoreResult<Option<earshot_core::time::Timestamp>> {
        last_activity(self.reader(), ws).await
    }
    async fn dashboard_counts(
        &self,
        ws: earshot_core::WorkspaceId,
        from: earshot_core::time::Timestamp,
        until: earshot_core::time::Timestamp,
    ) -> earshot_core::store::StoreResult<earshot_core::report::DashboardCounts> {
        dashboard_counts(self.reader(), ws, from, until).await
    }
    async fn operations(
        &self,
        now: earshot_core::time::Timestamp,
    ) -> earshot_core::store::StoreResult<earshot_core::report::Operations> {
        operations(self.reader(), now).await
    }
    async fn share_of_voice(
        &self,
        ws: earshot_core::WorkspaceId,
        from: earshot_core::time::Timestamp,
        until: earshot_core::time::Timestamp,
    ) -> earshot_core::store::StoreResult<earshot_core::report::VoiceCounts> {
        share_of_voice(self.reader(), ws, from, until).await
    }
    async fn heard_posts(
        &self,
        ws: earshot_core::WorkspaceId,
        filter: &earshot_core::store::HeardFilter,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::store::HeardPost>> {
        heard_posts(self.reader(), ws, filter).await
    }
    async fn hourly_counts(
        &self,
        ws: earshot_core::WorkspaceId,
        hours: &[i64],
    ) -> earshot_core::store::StoreResult<earshot_core::emerging::HourlyCounts> {
        hourly_counts(self.reader(), ws, hours).await
    }
    async fn series_first_hour(
        &self,
        ws: earshot_core::WorkspaceId,
        series: &earshot_core::emerging::SeriesKey,
    ) -> earshot_core::store::StoreResult<Option<i64>> {
        series_first_hour(self.reader(), ws, series).await
    }
    async fn top_messages(
        &self,
        ws: earshot_core::WorkspaceId,
        series: &earshot_core::emerging::SeriesKey,
        from: earshot_core::time::Timestamp,
        until: earshot_core::time::Timestamp,
        limit: u32,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::emerging::TopMessage>> {
        top_messages(self.reader(), ws, series, from, until, limit).await
    }
    async fn heard_post(
        &self,
        ws: earshot_core::WorkspaceId,
        channel: earshot_core::ChannelId,
        external_id: &str,
    ) -> earshot_core::store::StoreResult<Option<earshot_core::store::HeardPost>> {
        heard_post(self.reader(), ws, channel, external_id).await
    }
    async fn agent_work_events(
        &self,
        ws: earshot_core::WorkspaceId,
        from: earshot_core::time::Timestamp,
        until: earshot_core::time::Timestamp,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::agent_work::WorkEvent>> {
        agent_work_events(self.reader(), ws, from, until).await
    }

    // ---- Staffing (issue 17), kept last. ----
    async fn staffing_history(
        &self,
        ws: earshot_core::WorkspaceId,
        from: earshot_core::time::Timestamp,
        until: earshot_core::time::Timestamp,
        replies_from: earshot_core::time::Timestamp,
        quick_ms: i64,
    ) -> earshot_core::store::StoreResult<earshot_core::staffing::StaffingHistory> {
        staffing_history(self.reader(), ws, from, until, replies_from, quick_ms).await
    }
}

#[async_trait::async_trait]
impl earshot_core::store::ChannelStore for Backend {
    async fn connect_channel(
        &self,
        ws: WorkspaceId,
        connection: &earshot_core::connector::Connection,
    ) -> StoreResult<earshot_core::connector::ConnectedChannel> {
        connect_channel(self.writer(), ws, connection).await
    }
    async fn connected_channels(
        &self,
        ws: WorkspaceId,
    ) -> StoreResult<Vec<earshot_core::connector::ConnectedChannel>> {
        connected_channels(self.reader(), ws).await
    }
    async fn connected_channel(
        &self,
        ws: WorkspaceId,
        id: ChannelId,
    ) -> StoreResult<earshot_core::connector::ConnectedChannel> {
        connected_channel(self.reader(), Some(ws), id)
            .await?
            .ok_or_else(|| not_found("channel", id.0))
    }
    async fn webhook_channel(
        &self,
        id: ChannelId,
    ) -> StoreResult<Option<earshot_core::connector::ConnectedChannel>> {
        connected_channel(self.reader(), None, id).await
    }
    async fn reconnect_channel(
        &self,
        ws: WorkspaceId,
        id: ChannelId,
        connection: &earshot_core::connector::Connection,
    ) -> StoreResult<earshot_core::connector::ConnectedChannel> {
        reconnect_channel(self.writer(), ws, id, connection).await
    }
    async fn disconnect_channel(&self, ws: WorkspaceId, id: ChannelId) -> StoreResult<()> {
        disconnect_channel(self.writer(), ws, id).await
    }
    async fn set_channel_status(
        &self,
        ws: WorkspaceId,
        id: ChannelId,
        status: earshot_core::connector::ChannelStatus,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        set_channel_status(self.writer(), ws, id, status, reason).await
    }
    async fn accept_webhooks(
        &self,
        calls: &[(WorkspaceId, ChannelId, &[u8])],
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<Vec<i64>> {
        accept_webhooks(self.writer(), calls, at).await
    }
    async fn pending_webhooks(
        &self,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<earshot_core::connector::WebhookCall>> {
        pending_webhooks(self.reader(), after, limit).await
    }
    async fn webhooks_processed(
        &self,
        done: &[(i64, String)],
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<()> {
        webhooks_processed(self.writer(), done, at).await
    }
    async fn reply_target(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Option<earshot_core::connector::ReplyTarget>> {
        reply_target(self.reader(), ws, conversation).await
    }
    async fn record_status(
        &self,
        ws: WorkspaceId,
        channel: ChannelId,
        report: &earshot_core::connector::StatusReport,
    ) -> StoreResult<Option<earshot_core::connector::DeliveryChanged>> {
        record_status(self.writer(), ws, channel, report).await
    }
    async fn webhook_calls(
        &self,
        ws: WorkspaceId,
        channel: ChannelId,
        limit: u32,
    ) -> StoreResult<Vec<earshot_core::connector::WebhookCallRecord>> {
        webhook_calls(self.reader(), ws, channel, limit).await
    }
    async fn forget_processed_webhooks(
        &self,
        before: earshot_core::time::Timestamp,
    ) -> StoreResult<u64> {
        forget_processed_webhooks(self.writer(), before).await
    }
    async fn channel_cursor(&self, id: ChannelId) -> StoreResult<Option<String>> {
        channel_cursor(self.reader(), id).await
    }
    async fn set_channel_cursor(&self, id: ChannelId, cursor: &str) -> StoreResult<()> {
        set_channel_cursor(self.writer(), id, cursor).await
    }
    async fn channels_with(
        &self,
        connector: earshot_core::connector::Connector,
    ) -> StoreResult<Vec<earshot_core::connector::ConnectedChannel>> {
        channels_with(self.reader(), connector).await
    }
    async fn record_activity(
        &self,
        id: ChannelId,
        report: &earshot_core::connector::ActivityReport,
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<()> {
        record_activity(self.writer(), id, report, at).await
    }
    async fn sent_by_earshot(
        &self,
        ws: WorkspaceId,
        channel: ChannelId,
        platform_ids: &[String],
    ) -> StoreResult<Vec<String>> {
        sent_by_earshot(self.reader(), ws, channel, platform_ids).await
    }
    async fn mark_deleted(
        &self,
        ws: WorkspaceId,
        channel: ChannelId,
        platform_ids: &[String],
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<u64> {
        mark_deleted(self.writer(), ws, channel, platform_ids, at).await
    }
    async fn chat_transcript(
        &self,
        ws: WorkspaceId,
        channel: ChannelId,
        visitor: &str,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<earshot_core::connector::ChatLine>> {
        chat_transcript(self.reader(), ws, channel, visitor, after, limit).await
    }
}
