//! The care workflow: the decide stage of the pipeline (rules, desk, SLA clocks, priority;
//! pure, in [`decide`]), agents' actions (reply, note, assign, status, snooze, tags) and what
//! follows from each change (rules on status changes and assignments, the backlog served when
//! someone frees up, SLA clocks paused and resumed).
//!
//! Every write goes through one [`BatchUnit`]: a batch's messages and everything decided about
//! them commit together, and so do an agent's change and what the rules and the desk make of
//! it. Each workspace has one in-memory state (its compiled rules, SLA policies and the
//! assignment desk), loaded from the store on first use; its lock is taken before a unit
//! begins, so this process's writers of a workspace take turns instead of failing, and a
//! unit that fails leaves the state to be reloaded. Events caused by rules never run rules
//! again.

mod actions;
pub(crate) mod decide;
mod dry_run;
mod replies;
mod surveys;
mod timed;

pub use actions::ReplyDraft;
pub use dry_run::{Decision, DryRun, DryRunEvent};
pub use surveys::SurveyOutcome;

use decide::{Plan, State};
use earshot_core::assign::{Assignment, Desk, Waiting};
use earshot_core::rules::{Actor, Field, Rule, RuleSet, Trigger, Value};
use earshot_core::store::{Annotations, BatchUnit, IngestOutcome, StoreError, StoreResult};
use earshot_core::time::{Clock, SystemClock, Timestamp};
use earshot_core::workflow::{ChangeRequest, Changed, Context, ConversationChange, NewEvent};
use earshot_core::{
    Agent, AgentId, Conversation, ConversationId, ConversationStatus, Direction, Inbound,
    MessageId, Store, WorkspaceId,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Why an agent action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Someone else answered after the agent last loaded the conversation.
    #[error("message {message_id} was sent after message {seen} that you last saw; reload the conversation, or send with force")]
    Collision { seen: i64, message_id: i64 },
    #[error("{0}")]
    Invalid(String),
}

/// What an agent reply did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Replied {
    pub message_id: MessageId,
    pub outbox_id: i64,
    pub conversation: Conversation,
}

pub struct Workflow {
    store: Arc<dyn Store>,
    /// Told after an action commits, so open inboxes refresh.
    changes: Arc<crate::live::Changes>,
    clock: Arc<dyn Clock>,
    states: Mutex<HashMap<WorkspaceId, Arc<Mutex<State>>>>,
}

/// The consent keywords (`STOP`, `START`, …) among a batch's newly stored private customer
/// messages, each with its message's place in the batch.
fn consent_changes(
    batch: &[Inbound],
    outcomes: &[IngestOutcome],
) -> Vec<(usize, earshot_core::consent::ConsentChange)> {
    batch
        .iter()
        .zip(outcomes)
        .enumerate()
        .filter_map(|(i, (m, o))| {
            let IngestOutcome::Stored {
                message_id,
                conversation_id,
                ..
            } = o
            else {
                return None;
            };
            if m.direction != earshot_core::Direction::In
                || m.visibility != earshot_core::Visibility::Private
            {
                return None;
            }
            let granted = earshot_core::consent::keyword(&m.text)?.granted;
            Some((
                i,
                earshot_core::consent::ConsentChange {
                    conversation_id: *conversation_id,
                    message_id: *message_id,
                    channel: m.channel,
                    granted,
                    how: format!("keyword {}", m.text.trim()),
                    at: m.created_at,
                },
            ))
        })
        .collect()
}

fn not_found(id: ConversationId) -> StoreError {
    StoreError::NotFound {
        what: "conversation",
        id: id.0,
    }
}

impl Workflow {
    pub fn new(store: Arc<dyn Store>, changes: Arc<crate::live::Changes>) -> Self {
        Self::with_clock(store, changes, Arc::new(SystemClock))
    }

    /// A workflow that reads the time from `clock` (tests step it).
    pub fn with_clock(
        store: Arc<dyn Store>,
        changes: Arc<crate::live::Changes>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            changes,
            clock,
            states: Mutex::new(HashMap::new()),
        }
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Where its changes are told (the timer worker listens, to send new replies at once).
    pub fn changes(&self) -> &Arc<crate::live::Changes> {
        &self.changes
    }

    async fn state(&self, ws: WorkspaceId) -> StoreResult<Arc<Mutex<State>>> {
        if let Some(s) = self.states.lock().await.get(&ws) {
            return Ok(s.clone());
        }
        let state = Arc::new(Mutex::new(self.load(ws).await?));
        let mut states = self.states.lock().await;
        Ok(states.entry(ws).or_insert(state).clone())
    }

    /// A unit failed after the decide stage changed the desk: the next call reloads the
    /// workspace's state from what was committed.
    async fn forget(&self, ws: WorkspaceId) {
        self.states.lock().await.remove(&ws);
    }

    async fn load(&self, ws: WorkspaceId) -> StoreResult<State> {
        let store = &self.store;
        let rules = store
            .list_rules(ws)
            .await?
            .into_iter()
            .filter_map(|r| match Rule::from_draft(r.id, &r.rule) {
                Ok(rule) => Some(rule),
                Err(e) => {
                    tracing::error!(rule = r.id, ?e, "a stored rule no longer parses; skipped");
                    None
                }
            })
            .collect();
        let mut policies = HashMap::new();
        for p in store.list_sla_policies(ws).await? {
            if let Ok(policy) = p.policy.compile() {
                policies.insert(p.id, policy);
            }
        }
        let teams = store.list_teams(ws).await?;
        let agents = store.list_agents(ws).await?;
        let mut desk = Desk::new();
        for t in &teams {
            desk.set_strategy(t.id, t.strategy);
        }
        let at = self.now();
        // Load agents as offline first so that loading the backlog assigns nothing; then
        // their real availability drains the backlogs (assignments stored below).
        for a in &agents {
            let mut load = decide::load_of(a);
            load.availability = earshot_core::assign::Availability::Offline;
            desk.upsert_agent(load, at);
        }
        for c in &store.team_conversations(ws).await? {
            let w = Waiting {
                id: c.id,
                team: c.team,
                language: None,
                channel: c.channel,
                topics: Vec::new(),
                priority: c.priority,
                waiting_since: c.waiting_since,
            };
            match c.assignee {
                Some(agent) => desk.hold(w, agent),
                None => {
                    desk.route(w, at);
                }
            }
        }
        let mut state = State {
            idle: false,
            rules: RuleSet::new(rules),
            policies,
            desk,
        };
        state.idle = state.rules.is_empty() && teams.is_empty();
        let mut made = Vec::new();
        for a in &agents {
            made.extend(state.desk.set_availability(a.id, a.availability, at));
        }
        self.store_assignments(ws, &made).await?;
        Ok(state)
    }

    /// Rules, SLA policies, teams or agents changed: reload the workspace's state.
    pub async fn reload(&self, ws: WorkspaceId) -> StoreResult<()> {
        let state = self.load(ws).await?;
        let mut states = self.states.lock().await;
        states.insert(ws, Arc::new(Mutex::new(state)));
        Ok(())
    }

    /// The compiled rules of a workspace (for dry runs).
    pub async fn rules(&self, ws: WorkspaceId) -> StoreResult<RuleSet> {
        Ok(self.state(ws).await?.lock().await.rules.clone())
    }

    /// Assignments the desk made outside a unit (an agent came online, the state loaded).
    async fn store_assignments(&self, ws: WorkspaceId, made: &[Assignment]) -> StoreResult<()> {
        if made.is_empty() {
            return Ok(());
        }
        let requests: Vec<ChangeRequest> = made.iter().map(decide::assignment_request).collect();
        self.store.change_conversations(ws, &requests).await?;
        Ok(())
    }

    /// The store and decide stages of the pipeline for an annotated batch, as one unit: the
    /// messages are stored, the rules, the desk and the SLA clocks decide about them, and
    /// everything commits together (or nothing does). Nothing is decided in a workspace
    /// without rules or teams, except a woken conversation's paused SLA clock.
    pub async fn ingest(
        &self,
        ws: WorkspaceId,
        batch: &[Inbound],
        annotations: &[Annotations],
    ) -> StoreResult<Vec<IngestOutcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let state = self.state(ws).await?;
        let mut s = state.lock().await;
        let mut unit = self.store.begin_batch(ws).await?;
        let decided = async {
            let outcomes = unit.ingest(batch, annotations).await?;
            // Consent keywords first: a `STOP` is respected by this batch's own rules.
            let consent = consent_changes(batch, &outcomes);
            let mut confirm = Vec::new();
            if !consent.is_empty() {
                let changes: Vec<_> = consent.iter().map(|(_, c)| c.clone()).collect();
                let recorded = unit.record_consent(&changes).await?;
                confirm = consent
                    .into_iter()
                    .zip(recorded)
                    .filter_map(|((i, c), r)| r.then_some((i, c)))
                    .collect();
            }
            // Survey answers next: a bare score is recorded and decides nothing else (the
            // decide stage sees it as already handled).
            let answers = self
                .survey_answers(unit.as_mut(), batch, annotations, &outcomes)
                .await?;
            let mut decided = std::borrow::Cow::Borrowed(outcomes.as_slice());
            for a in answers.iter().filter(|a| a.bare) {
                if let IngestOutcome::Stored { message_id, .. } = decided[a.index] {
                    decided.to_mut()[a.index] = IngestOutcome::Duplicate { message_id };
                }
            }
            self.decide_batch(
                &mut s,
                unit.as_mut(),
                batch,
                annotations,
                &decided,
                &confirm,
            )
            .await?;
            Ok::<_, StoreError>(outcomes)
        }
        .await;
        self.finish(ws, unit, decided).await
    }

    /// Commits a unit whose work succeeded; otherwise rolls it back and forgets the
    /// workspace's state (the desk may hold decisions that were never stored).
    async fn finish<T>(
        &self,
        ws: WorkspaceId,
        unit: Box<dyn BatchUnit>,
        done: StoreResult<T>,
    ) -> StoreResult<T> {
        let committed = match done {
            Ok(v) => unit.commit().await.map(|_| v),
            Err(e) => {
                drop(unit);
                Err(e)
            }
        };
        if committed.is_err() {
            self.forget(ws).await;
        }
        committed
    }

    async fn decide_batch(
        &self,
        s: &mut State,
        unit: &mut dyn BatchUnit,
        batch: &[Inbound],
        annotations: &[Annotations],
        outcomes: &[IngestOutcome],
        confirm: &[(usize, earshot_core::consent::ConsentChange)],
    ) -> StoreResult<()> {
        let woken = outcomes.iter().any(|o| {
            matches!(
                o,
                IngestOutcome::Stored {
                    status_changed: Some((
                        ConversationStatus::Pending | ConversationStatus::Snoozed,
                        _
                    )),
                    ..
                }
            )
        });
        if s.idle && !woken && confirm.is_empty() {
            return Ok(());
        }
        let (wanted, transitions) = decide::wanted(batch, outcomes);
        if wanted.is_empty() {
            return Ok(());
        }
        let contexts = by_id(unit.contexts(&wanted).await?);
        let at = self.now();
        let mut plan = decide::batch(s, batch, annotations, outcomes, &transitions, &contexts, at);
        // A consent change is confirmed to the customer once, on their channel; automated,
        // so it answers nobody (the customer who wrote STOP is not "answered" by it).
        for (i, c) in confirm {
            let kind = if c.granted {
                "consent_granted"
            } else {
                "consent_withdrawn"
            };
            let text = earshot_core::consent::keyword(&batch[*i].text)
                .map(earshot_core::consent::confirmation)
                .unwrap_or_default();
            plan.replies.push(decide::PendingReply {
                conversation: c.conversation_id,
                actor: earshot_core::rules::Actor::System,
                template: text.to_string(),
                answering: Some(batch[*i].clone()),
                counts_as_response: false,
            });
            plan.changes.push(earshot_core::workflow::ChangeRequest {
                conversation: c.conversation_id,
                change: Default::default(),
                actor: earshot_core::rules::Actor::Customer,
                extra: vec![NewEvent::new(
                    kind,
                    json!({"how": c.how, "purposes": earshot_core::consent::ENGAGEMENT}),
                )],
            });
        }
        self.write(s, unit, plan, &contexts, at).await
    }

    /// Writes a plan in the unit: the changes, the deliveries, the automated replies (stored
    /// as outbound messages, queued, and recorded on the history); then the desk follows the
    /// rules' changes and its assignments are written too.
    async fn write(
        &self,
        s: &mut State,
        unit: &mut dyn BatchUnit,
        plan: Plan,
        contexts: &HashMap<ConversationId, Context>,
        at: Timestamp,
    ) -> StoreResult<()> {
        if plan.is_empty() {
            return Ok(());
        }
        if !plan.outbox.is_empty() {
            unit.enqueue(&plan.outbox).await?;
        }
        // The replies first (stored and queued), so their history events are written with
        // the plan's changes in one call.
        let mut changes = plan.changes;
        let planned = changes.len();
        if !plan.replies.is_empty() {
            let events = self
                .send_automated(unit, &plan.replies, contexts, at)
                .await?;
            changes.extend(events);
        }
        let changed = unit.change(&changes).await?;
        let mut made = Vec::new();
        for (c, request) in changed.iter().zip(&changes).take(planned) {
            if matches!(request.actor, Actor::Rule(_)) {
                made.extend(decide::follow_desk(s, c, at));
            }
        }
        if !made.is_empty() {
            let requests: Vec<ChangeRequest> =
                made.iter().map(decide::assignment_request).collect();
            unit.change(&requests).await?;
        }
        Ok(())
    }

    /// Automated replies of a plan, answering the message that triggered each: stored and
    /// queued; returns the `reply_queued` events to record.
    async fn send_automated(
        &self,
        unit: &mut dyn BatchUnit,
        pending: &[decide::PendingReply],
        contexts: &HashMap<ConversationId, Context>,
        at: Timestamp,
    ) -> StoreResult<Vec<ChangeRequest>> {
        let mut replies = Vec::new();
        let mut actors = Vec::new();
        for (n, r) in pending.iter().enumerate() {
            if let Some(ctx) = contexts.get(&r.conversation) {
                replies.push(replies::automated(r, ctx, at, n));
                actors.push(r.actor);
            }
        }
        if replies.is_empty() {
            return Ok(Vec::new());
        }
        let none = vec![Annotations::default(); replies.len()];
        let outcomes = unit.ingest(&replies, &none).await?;
        let mut outbox = Vec::new();
        let mut placed = Vec::new();
        for ((reply, actor), outcome) in replies.iter().zip(actors).zip(&outcomes) {
            if let IngestOutcome::Stored {
                message_id,
                conversation_id,
                ..
            } = outcome
            {
                outbox.push(replies::delivery(reply, *conversation_id, *message_id));
                placed.push((actor, *message_id, *conversation_id, reply.automated));
            }
        }
        let ids = unit.enqueue(&outbox).await?;
        let events: Vec<ChangeRequest> = placed
            .into_iter()
            .zip(ids)
            .map(
                |((actor, message_id, conversation, automated), outbox_id)| ChangeRequest {
                    conversation,
                    change: ConversationChange::default(),
                    actor,
                    extra: vec![NewEvent::new(
                        "reply_queued",
                        json!({"message_id": message_id, "outbox_id": outbox_id,
                               "automated": true, "counts_as_response": !automated}),
                    )],
                },
            )
            .collect();
        Ok(events)
    }

    /// An agent or the availability of one changed: the desk takes it in, and whoever has
    /// room now takes from the backlog.
    pub async fn agent_changed(&self, ws: WorkspaceId, agent: &Agent) -> StoreResult<()> {
        let state = self.state(ws).await?;
        let made = {
            let mut s = state.lock().await;
            s.idle = false;
            let current_open = s.desk.agent(agent.id).map_or(0, |a| a.open);
            let mut load = decide::load_of(agent);
            load.open = current_open;
            s.desk.upsert_agent(load, self.now())
        };
        self.store_assignments(ws, &made).await
    }

    /// A team's strategy or a new team.
    pub async fn team_changed(
        &self,
        ws: WorkspaceId,
        team: &earshot_core::Team,
    ) -> StoreResult<()> {
        let state = self.state(ws).await?;
        let mut s = state.lock().await;
        s.idle = false;
        s.desk.set_strategy(team.id, team.strategy);
        Ok(())
    }
}

fn by_id(contexts: Vec<Context>) -> HashMap<ConversationId, Context> {
    contexts
        .into_iter()
        .map(|c| (c.conversation.id, c))
        .collect()
}
