//! Settings that the pipeline compiles, written and taken in by one call: a topic changes the
//! listen stage's matcher, a rule or an SLA policy the decide stage's rules, a team or an
//! agent the assignment desk. The API and the settings pages both go through here, so no
//! caller can store a setting and forget to tell the stage that depends on it.

use crate::Pipeline;
use earshot_core::assign::Strategy;
use earshot_core::rules::RuleDraft;
use earshot_core::sla::PolicyDraft;
use earshot_core::store::StoreResult;
use earshot_core::workflow::{RuleRecord, SlaPolicyRecord};
use earshot_core::{
    Agent, AgentId, AgentPatch, NewAgent, Team, TeamId, Topic, TopicDraft, TopicId, WorkspaceId,
};

/// The settings of the pipeline's workspaces (see [`Pipeline::admin`]).
pub struct Admin<'a> {
    pipeline: &'a Pipeline,
}

impl Pipeline {
    /// Writes settings and brings the stages that compile them up to date.
    pub fn admin(&self) -> Admin<'_> {
        Admin { pipeline: self }
    }
}

impl Admin<'_> {
    pub async fn create_topic(&self, ws: WorkspaceId, draft: &TopicDraft) -> StoreResult<Topic> {
        let topic = self.pipeline.store.create_topic(ws, draft).await?;
        self.pipeline.topics_changed(ws).await?;
        Ok(topic)
    }

    pub async fn update_topic(
        &self,
        ws: WorkspaceId,
        id: TopicId,
        draft: &TopicDraft,
    ) -> StoreResult<Topic> {
        let topic = self.pipeline.store.update_topic(ws, id, draft).await?;
        self.pipeline.topics_changed(ws).await?;
        Ok(topic)
    }

    pub async fn delete_topic(&self, ws: WorkspaceId, id: TopicId) -> StoreResult<()> {
        self.pipeline.store.delete_topic(ws, id).await?;
        self.pipeline.topics_changed(ws).await
    }

    /// A rule at `position` (the end when `None`), validated by the caller.
    pub async fn create_rule(
        &self,
        ws: WorkspaceId,
        position: Option<i64>,
        rule: &RuleDraft,
    ) -> StoreResult<RuleRecord> {
        let record = self.pipeline.store.create_rule(ws, position, rule).await?;
        self.pipeline.workflow.reload(ws).await?;
        Ok(record)
    }

    pub async fn update_rule(
        &self,
        ws: WorkspaceId,
        id: i64,
        position: Option<i64>,
        rule: &RuleDraft,
    ) -> StoreResult<RuleRecord> {
        let record = self
            .pipeline
            .store
            .update_rule(ws, id, position, rule)
            .await?;
        self.pipeline.workflow.reload(ws).await?;
        Ok(record)
    }

    pub async fn delete_rule(&self, ws: WorkspaceId, id: i64) -> StoreResult<()> {
        self.pipeline.store.delete_rule(ws, id).await?;
        self.pipeline.workflow.reload(ws).await
    }

    pub async fn create_sla_policy(
        &self,
        ws: WorkspaceId,
        policy: &PolicyDraft,
    ) -> StoreResult<SlaPolicyRecord> {
        let record = self.pipeline.store.create_sla_policy(ws, policy).await?;
        self.pipeline.workflow.reload(ws).await?;
        Ok(record)
    }

    /// A team, with its assignment strategy when one is given.
    pub async fn create_team(
        &self,
        ws: WorkspaceId,
        name: &str,
        strategy: Option<Strategy>,
    ) -> StoreResult<Team> {
        bounded("name", name)?;
        let store = &self.pipeline.store;
        let mut team = store.create_team(ws, name).await?;
        if let Some(strategy) = strategy {
            team = store.set_team_strategy(ws, team.id, strategy).await?;
        }
        self.pipeline.workflow.team_changed(ws, &team).await?;
        Ok(team)
    }

    pub async fn set_team_strategy(
        &self,
        ws: WorkspaceId,
        id: TeamId,
        strategy: Strategy,
    ) -> StoreResult<Team> {
        let team = self
            .pipeline
            .store
            .set_team_strategy(ws, id, strategy)
            .await?;
        self.pipeline.workflow.team_changed(ws, &team).await?;
        Ok(team)
    }

    /// An agent; with room and online, they take from their team's backlog at once.
    pub async fn create_agent(&self, ws: WorkspaceId, agent: &NewAgent) -> StoreResult<Agent> {
        bounded("name", &agent.name)?;
        bounded("email", &agent.email)?;
        let agent = self.pipeline.store.create_agent(ws, agent).await?;
        self.pipeline.workflow.agent_changed(ws, &agent).await?;
        Ok(agent)
    }

    /// Skills, capacity, availability or team; whoever gains room takes from the backlog.
    pub async fn update_agent(
        &self,
        ws: WorkspaceId,
        id: AgentId,
        patch: &AgentPatch,
    ) -> StoreResult<Agent> {
        let agent = self.pipeline.store.update_agent(ws, id, patch).await?;
        self.pipeline.workflow.agent_changed(ws, &agent).await?;
        Ok(agent)
    }
}

/// The longest team or agent name (and agent email), the same through the API and the pages.
pub const MAX_NAME_CHARS: usize = 200;

fn bounded(field: &str, value: &str) -> StoreResult<()> {
    let n = value.trim().chars().count();
    if n > MAX_NAME_CHARS {
        return Err(earshot_core::store::StoreError::Invalid(format!(
            "`{field}` has {n} characters; at most {MAX_NAME_CHARS}"
        )));
    }
    Ok(())
}
