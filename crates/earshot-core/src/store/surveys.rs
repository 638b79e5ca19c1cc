//! The store's role for satisfaction surveys (see [`crate::survey`]): a workspace's
//! settings, the surveys the timer worker sends, the answers, and what reports count.
//! Surveys are made by the store itself, in the transaction of the change that first
//! resolves a conversation, so no path that resolves one (an agent, a rule, the API) can
//! miss one or make two.

use super::StoreResult;
use crate::survey::{Settings, Survey, Update};
use crate::time::Timestamp;
use crate::{ConversationId, WorkspaceId};
use async_trait::async_trait;

/// A survey due to be sent, with where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct DueSurvey {
    pub workspace_id: WorkspaceId,
    pub survey: Survey,
}

/// Surveys counted for reports: one row per group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyCount {
    /// Day number (UTC) the survey was made (the conversation resolved).
    pub day: i64,
    pub scale: crate::survey::Scale,
    pub channel_id: crate::ChannelId,
    pub team_id: Option<crate::TeamId>,
    pub agent_id: Option<crate::AgentId>,
    pub state: crate::survey::State,
    /// The question's delivery (`queued`, `sent`, `failed`), once it was sent.
    pub delivery: Option<String>,
    pub score: Option<i32>,
    pub count: i64,
}

#[async_trait]
pub trait SurveyStore: Send + Sync {
    /// The workspace's survey, `None` when it sends none.
    async fn survey_settings(&self, workspace: WorkspaceId) -> StoreResult<Option<Settings>>;
    /// Turns surveys on (or changes them) or, with `None`, off. Surveys already made keep
    /// their scale; scheduled ones of a workspace that turns surveys off are not sent (they
    /// end `not_sent`, naming why).
    async fn set_survey_settings(
        &self,
        workspace: WorkspaceId,
        settings: Option<&Settings>,
    ) -> StoreResult<()>;
    /// Scheduled surveys of every workspace due by `now`, oldest first.
    async fn surveys_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<DueSurvey>>;
    /// Records what happened to a survey; `false` when it was no longer in the state the
    /// update follows from (sent by another process, answered already): nothing changed.
    async fn update_survey(
        &self,
        workspace: WorkspaceId,
        id: i64,
        update: &Update,
    ) -> StoreResult<bool>;
    /// A workspace's surveys, newest first (`before`: an id to page from).
    async fn list_surveys(
        &self,
        workspace: WorkspaceId,
        state: Option<crate::survey::State>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Survey>>;
    /// The survey of a conversation.
    async fn conversation_survey(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Option<Survey>>;
    /// Surveys made in [from, until), counted by day, scale, channel, team, agent, state,
    /// delivery and score.
    async fn survey_counts(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<SurveyCount>>;
    /// The same surveys counted per topic their conversation's messages matched (a survey
    /// counts once for each of its topics): topic, scale, state, delivery, score, count.
    async fn survey_topic_counts(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<SurveyTopicCount>>;
}

/// Surveys of one topic, state and score (see [`SurveyStore::survey_topic_counts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyTopicCount {
    pub topic_id: crate::TopicId,
    pub scale: crate::survey::Scale,
    pub state: crate::survey::State,
    pub delivery: Option<String>,
    pub score: Option<i32>,
    pub count: i64,
}
