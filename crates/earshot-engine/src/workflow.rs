//! The care workflow around the store: the rules and assign stages after a batch is stored,
//! agents' actions (reply, note, assign, status, snooze, tags), and what follows from each
//! change (rules on status changes and assignments, the backlog served when someone frees
//! up, SLA clocks paused and resumed). Every change goes through
//! [`Store::change_conversation`], which records it on the conversation's audit trail.
//!
//! Each workspace has one in-memory state (its compiled rules, SLA policies and the
//! assignment [`Desk`]), loaded from the store on first use and kept current by the calls
//! here; one process owns it (`earshot serve`). Events caused by rules never run rules again.

use earshot_core::assign::{AgentLoad, Assignment, Desk, Waiting};
use earshot_core::route::{decide, Event, Subject};
use earshot_core::rules::{
    render_template, Action, Actor, Facts, Field, MessageFacts, Rule, RuleSet, Trigger, Value,
};
use earshot_core::sla::Policy;
use earshot_core::store::{Annotations, IngestOutcome, StoreError, StoreResult};
use earshot_core::time::{now, Timestamp};
use earshot_core::workflow::{ChangeRequest, Changed, ConversationChange, NewEvent, NewOutbox};
use earshot_core::{
    Agent, AgentId, ChannelRole, Conversation, ConversationId, ConversationStatus, Direction,
    Inbound, InboundAuthor, MessageId, Store, TeamId, WorkspaceId,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// One workspace's workflow state.
struct State {
    rules: RuleSet,
    policies: HashMap<i64, Policy>,
    desk: Desk,
    /// No rules and no teams: nothing to do after ingest.
    idle: bool,
}

impl State {
    /// The SLA policy a conversation runs on: the one a rule applied, else the
    /// out-of-the-box one for its priority.
    fn policy(&self, applied: Option<i64>, priority: i32) -> Policy {
        applied
            .and_then(|p| self.policies.get(&p).cloned())
            .unwrap_or_else(|| Policy::out_of_the_box(earshot_core::priority::label(priority)))
    }
}

/// Facts from what the store knows of a conversation, and the message when there is one.
fn facts_of(
    c: &Conversation,
    ctx: &earshot_core::workflow::Context,
    message: Option<(&Inbound, Option<&earshot_core::enrichment::Enrichment>)>,
    at: Timestamp,
) -> Facts {
    let mut facts = Facts::default();
    if let Some((m, enrichment)) = message {
        facts = facts.with_message(&MessageFacts {
            channel: Some(m.channel),
            text: &m.text,
            enrichment,
            followers: m.author.followers,
            verified: m.author.verified,
            handle: m.author.handle.as_deref().unwrap_or(""),
        });
    }
    facts
        .with_conversation(c, &ctx.tags, &ctx.topics, at)
        .with_contact(
            ctx.contact_tier.as_deref(),
            ctx.contact_value,
            ctx.opted_out,
        )
}

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
    changes: Arc<crate::live::Changes>,
    states: Mutex<HashMap<WorkspaceId, Arc<Mutex<State>>>>,
}

fn waiting_of(
    c: &Conversation,
    team: TeamId,
    language: Option<String>,
    topics: Vec<String>,
) -> Waiting {
    Waiting {
        id: c.id,
        team,
        language,
        channel: c.channel_kind,
        topics,
        priority: c.priority,
        waiting_since: c.waiting_since.unwrap_or(c.first_message_at),
    }
}

fn load_of(a: &Agent) -> AgentLoad {
    AgentLoad {
        id: a.id,
        team: a.team_id,
        skills: a.skills.clone(),
        capacity: a.capacity,
        open: 0,
        availability: a.availability,
        last_assigned_at: a.last_assigned_at,
    }
}

/// The share of the SLA target still left at `at` (negative once breached), by the clock
/// against the out-of-the-box target for the priority; `None` when no target runs.
fn sla_left_share(c: &Conversation, at: Timestamp) -> Option<f64> {
    let due = c.sla_due_at?;
    let target = Policy::out_of_the_box(earshot_core::priority::label(c.priority))
        .target(c.first_response_at.is_some());
    Some((due - at).num_milliseconds() as f64 / target.num_milliseconds().max(1) as f64)
}

/// What one or more decisions will write, and the state they leave each conversation in (so
/// a later message of the same conversation in the same batch sees it).
#[derive(Default)]
struct Plan {
    changes: Vec<ChangeRequest>,
    outbox: Vec<NewOutbox>,
    replies: Vec<PendingReply>,
    overlay: HashMap<ConversationId, Vec<(Field, Value)>>,
    /// Conversations whose policy due time this plan already sets.
    sla_set: std::collections::HashSet<ConversationId>,
}

/// Fields a decision can change, carried from one message to the next of a batch.
const CARRIED: [Field; 6] = [
    Field::ConversationStatus,
    Field::ConversationPriority,
    Field::ConversationPriorityLabel,
    Field::ConversationAssignee,
    Field::ConversationTeam,
    Field::ConversationTags,
];

impl Plan {
    /// Facts read from the store before this batch's writes: bring them up to date.
    fn overlay(&self, c: ConversationId, facts: &mut Facts) {
        for (field, value) in self.overlay.get(&c).into_iter().flatten() {
            facts.set(*field, value.clone());
        }
    }
    fn remember(&mut self, c: ConversationId, facts: &Facts) {
        self.overlay.insert(
            c,
            CARRIED
                .iter()
                .map(|f| (*f, facts.get(*f).clone()))
                .collect(),
        );
    }
}

/// An automated reply to send once the batch's changes are stored.
struct PendingReply {
    conversation: ConversationId,
    contact: earshot_core::ContactId,
    actor: Actor,
    template: String,
    /// The customer message it answers.
    answering: Option<Inbound>,
}

fn assignment_request(a: &Assignment) -> ChangeRequest {
    ChangeRequest {
        conversation: a.conversation,
        change: ConversationChange {
            assignee: Some(Some(a.agent)),
            team: Some(Some(a.team)),
            ..Default::default()
        },
        actor: Actor::System,
        extra: vec![NewEvent::new(
            "auto_assigned",
            json!({"agent": a.agent, "team": a.team, "from_backlog": a.from_backlog}),
        )],
    }
}

/// The change a rule's actions make (besides replies, notes, notifications, webhooks).
fn change_of(actions: &[Action], at: Timestamp) -> ConversationChange {
    let mut c = ConversationChange::default();
    for a in actions {
        match a {
            Action::AssignTeam { team_id } => c.team = Some(Some(*team_id)),
            Action::AssignAgent { agent_id } => c.assignee = Some(Some(*agent_id)),
            Action::SetPriority { priority } => c.priority = Some(*priority),
            Action::AddTag { tag } => {
                c.remove_tags.retain(|t| t != tag);
                c.add_tags.push(tag.clone());
            }
            Action::RemoveTag { tag } => {
                c.add_tags.retain(|t| t != tag);
                c.remove_tags.push(tag.clone());
            }
            Action::SetStatus { status } => c.status = Some(*status),
            Action::Snooze { minutes } => {
                c.status = Some(ConversationStatus::Snoozed);
                c.snoozed_until = Some(Some(at + chrono::Duration::minutes(i64::from(*minutes))));
            }
            Action::ApplySla { policy_id } => c.sla_policy = Some(Some(*policy_id)),
            _ => {}
        }
    }
    c
}

impl Workflow {
    pub fn new(store: Arc<dyn Store>, changes: Arc<crate::live::Changes>) -> Self {
        Self {
            store,
            changes,
            states: Mutex::new(HashMap::new()),
        }
    }

    async fn state(&self, ws: WorkspaceId) -> StoreResult<Arc<Mutex<State>>> {
        if let Some(s) = self.states.lock().await.get(&ws) {
            return Ok(s.clone());
        }
        let state = Arc::new(Mutex::new(self.load(ws).await?));
        let mut states = self.states.lock().await;
        Ok(states.entry(ws).or_insert(state).clone())
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
        let at = now();
        // Load agents as offline first so that loading the backlog assigns nothing; then
        // their real availability drains the backlogs (assignments stored below).
        for a in &agents {
            let mut load = load_of(a);
            load.availability = earshot_core::assign::Availability::Offline;
            desk.upsert_agent(load, at);
        }
        let held = store.team_conversations(ws).await?;
        for c in &held {
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

    async fn store_assignments(&self, ws: WorkspaceId, made: &[Assignment]) -> StoreResult<()> {
        if made.is_empty() {
            return Ok(());
        }
        let requests: Vec<ChangeRequest> = made.iter().map(assignment_request).collect();
        self.store.change_conversations(ws, &requests).await?;
        Ok(())
    }

    /// Facts about a conversation (`c` may be an earlier state of it: its status, team,
    /// priority are taken from `c`; tags, topics and contact as stored now).
    async fn facts(&self, ws: WorkspaceId, c: &Conversation) -> StoreResult<Facts> {
        let ctx = self.store.workflow_context(ws, &[c.id]).await?;
        Ok(match ctx.first() {
            Some(ctx) => facts_of(c, ctx, None, now()),
            None => Facts::default().with_conversation(c, &[], &[], now()),
        })
    }

    /// The rules and assign stages for a stored batch: for each customer message stored
    /// (not duplicates, not counted listening posts), `conversation_created` rules (for the
    /// message that opened its conversation) and `message_received` rules run, then the
    /// conversation goes to its team's desk. What they decide for the whole batch is written
    /// in one transaction (then the automated replies, in one more), so a busy batch costs a
    /// few commits, not a few per message. Nothing happens in a workspace without rules or
    /// teams.
    pub async fn after_ingest(
        &self,
        ws: WorkspaceId,
        batch: &[Inbound],
        annotations: &[Annotations],
        outcomes: &[IngestOutcome],
    ) -> StoreResult<()> {
        let state = self.state(ws).await?;
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
        // Without rules or teams only a woken conversation (its paused SLA clock) needs us.
        if state.lock().await.idle && !woken {
            return Ok(());
        }
        // Everything the rules need about the batch's conversations, read at once.
        // Status changes the batch made (a customer writing to a resolved conversation, the
        // brand answering a new one), once per conversation.
        let mut transitions: Vec<(ConversationId, ConversationStatus, ConversationStatus)> =
            Vec::new();
        for o in outcomes {
            if let IngestOutcome::Stored {
                conversation_id,
                status_changed: Some((from, to)),
                ..
            } = o
            {
                if !transitions.iter().any(|t| t.0 == *conversation_id) {
                    transitions.push((*conversation_id, *from, *to));
                }
            }
        }
        let wanted: Vec<ConversationId> = outcomes
            .iter()
            .zip(batch)
            .filter_map(|(o, m)| match o {
                IngestOutcome::Stored {
                    conversation_id, ..
                } if m.direction == Direction::In => Some(*conversation_id),
                _ => None,
            })
            .chain(transitions.iter().map(|t| t.0))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let contexts: HashMap<ConversationId, earshot_core::workflow::Context> = self
            .store
            .workflow_context(ws, &wanted)
            .await?
            .into_iter()
            .map(|c| (c.conversation.id, c))
            .collect();
        let at = now();
        let mut plan = Plan::default();
        for (i, outcome) in outcomes.iter().enumerate() {
            let IngestOutcome::Stored {
                conversation_id, ..
            } = outcome
            else {
                continue;
            };
            let m = &batch[i];
            if m.direction != Direction::In {
                continue;
            }
            let Some(ctx) = contexts.get(conversation_id) else {
                continue;
            };
            let c = &ctx.conversation;
            // A conversation under a rule's SLA policy: its due time follows that policy (the
            // store computed the out-of-the-box one).
            if let (Some(policy_id), Some(waiting)) = (ctx.sla_policy, c.waiting_since) {
                if plan.sla_set.insert(c.id) {
                    let s = state.lock().await;
                    if let Some(policy) = s.policies.get(&policy_id) {
                        let answered = c.first_response_at.is_some();
                        plan.changes.push(ChangeRequest {
                            conversation: c.id,
                            change: ConversationChange {
                                sla_due_at: Some(policy.response_due(waiting, answered)),
                                sla_warn_at: Some(policy.warning_due(waiting, answered)),
                                ..Default::default()
                            },
                            actor: Actor::System,
                            extra: Vec::new(),
                        });
                    }
                }
            }
            let enrichment = annotations.get(i).and_then(|a| a.enrichment.as_ref());
            let mut triggers = Vec::with_capacity(2);
            // The message that opened the conversation (also when a whole thread arrives in
            // one batch, as imports do).
            if c.first_message_at.timestamp_millis() == m.created_at.timestamp_millis() {
                triggers.push(Trigger::ConversationCreated);
            }
            triggers.push(Trigger::MessageReceived);
            // The message's priority with what the workflow knows besides: the customer's
            // tier or value, the SLA time left.
            let base = annotations.get(i).and_then(|a| a.priority.as_ref());
            let mut adjusted_score = None;
            if let Some(base) = base {
                let adjusted = earshot_core::priority::adjust(
                    base,
                    earshot_core::priority::Context {
                        tier: ctx.contact_tier.as_deref(),
                        value: ctx.contact_value,
                        sla_left: sla_left_share(c, at),
                    },
                );
                if adjusted.score != base.score {
                    adjusted_score = Some(adjusted.score);
                    plan.changes.push(ChangeRequest {
                        conversation: c.id,
                        change: ConversationChange {
                            priority: Some(adjusted.score),
                            priority_detail: Some(adjusted),
                            ..Default::default()
                        },
                        actor: Actor::System,
                        extra: Vec::new(),
                    });
                }
            }
            let read = facts_of(c, ctx, Some((m, enrichment)), at);
            let mut read = read;
            if let Some(score) = adjusted_score {
                read.set(Field::ConversationPriority, Value::Number(f64::from(score)));
                read.set(
                    Field::ConversationPriorityLabel,
                    Value::text(earshot_core::priority::label(score)),
                );
            }
            for trigger in triggers {
                let mut facts = read.clone();
                plan.overlay(c.id, &mut facts);
                self.plan(
                    ws,
                    &state,
                    c,
                    trigger,
                    Actor::Customer,
                    facts,
                    Some(m),
                    &mut plan,
                )
                .await?;
            }
        }
        for (id, from, to) in transitions {
            let Some(ctx) = contexts.get(&id) else {
                continue;
            };
            let c = &ctx.conversation;
            // Woken from pending or snoozed by the customer: the paused SLA clock resumes with
            // the business time that was left (the store counted from the oldest unanswered
            // message, which would charge the paused time).
            if matches!(
                from,
                ConversationStatus::Pending | ConversationStatus::Snoozed
            ) {
                let sla = self.store.sla_state(ws, c.id).await?;
                if let Some(secs) = sla.remaining_seconds {
                    let policy = state.lock().await.policy(sla.policy_id, c.priority);
                    let left = chrono::Duration::seconds(secs);
                    let due = policy.calendar.add(at, left);
                    // The warning at its share of the whole target, if that is still ahead.
                    let target = policy.target(c.first_response_at.is_some());
                    let used = target - left;
                    let warn_after = chrono::Duration::milliseconds(
                        (target.num_milliseconds() as f64 * policy.warn_share) as i64,
                    ) - used;
                    plan.changes.push(ChangeRequest {
                        conversation: c.id,
                        change: ConversationChange {
                            sla_due_at: Some(due),
                            sla_warn_at: Some(if warn_after > chrono::Duration::zero() {
                                policy.calendar.add(at, warn_after)
                            } else {
                                None
                            }),
                            sla_remaining: Some(None),
                            snoozed_until: Some(None),
                            ..Default::default()
                        },
                        actor: Actor::Customer,
                        extra: vec![NewEvent::new("sla_resumed", json!({"left_seconds": secs}))],
                    });
                }
            }
            // Back from resolved: the agent who had it has it again (the customer keeps their
            // agent, even past that agent's capacity); without an agent, the rules stage
            // below routes it to its team's desk.
            if from == ConversationStatus::Resolved {
                if let (Some(team), Some(agent)) = (c.team_id, c.assignee_id) {
                    state
                        .lock()
                        .await
                        .desk
                        .hold(waiting_of(c, team, None, Vec::new()), agent);
                }
            }
            let mut facts = facts_of(c, ctx, None, at);
            plan.overlay(c.id, &mut facts);
            let mut before = facts.clone();
            before.set(Field::ConversationStatus, Value::text(from.as_str()));
            facts.set(Field::ConversationStatus, Value::text(to.as_str()));
            let facts = facts.with_before(&before);
            let actor = if to == ConversationStatus::Open && from != ConversationStatus::New {
                Actor::Customer
            } else {
                Actor::System
            };
            self.plan(
                ws,
                &state,
                c,
                Trigger::StatusChanged,
                actor,
                facts,
                None,
                &mut plan,
            )
            .await?;
        }
        self.flush(ws, &state, plan).await
    }

    /// Runs the rules for one event and stores what they and the desk decided.
    async fn run(
        &self,
        ws: WorkspaceId,
        state: &Mutex<State>,
        c: &Conversation,
        trigger: Trigger,
        actor: Actor,
        facts: Facts,
    ) -> StoreResult<()> {
        let mut plan = Plan::default();
        self.plan(ws, state, c, trigger, actor, facts, None, &mut plan)
            .await?;
        self.flush(ws, state, plan).await
    }

    /// Decides (rules, priority, desk) for one event and adds the writes to `plan`.
    #[allow(clippy::too_many_arguments)]
    async fn plan(
        &self,
        ws: WorkspaceId,
        state: &Mutex<State>,
        c: &Conversation,
        trigger: Trigger,
        actor: Actor,
        mut facts: Facts,
        message: Option<&Inbound>,
        plan: &mut Plan,
    ) -> StoreResult<()> {
        let topics = match facts.get(Field::ConversationTopics) {
            Value::List(l) => l.clone(),
            _ => Vec::new(),
        };
        let subject = Subject {
            id: c.id,
            channel: c.channel_kind,
            waiting_since: c.waiting_since.unwrap_or(c.first_message_at),
            topics,
        };
        let at = now();
        let mut s = state.lock().await;
        let decision = {
            let s = &mut *s;
            decide(
                &s.rules,
                &mut s.desk,
                Event { trigger, actor, at },
                &mut facts,
                &subject,
                true,
            )
        };
        plan.remember(c.id, &facts);
        let opted_out = facts.get(Field::ContactOptedOut) == &Value::Bool(true);
        for firing in &decision.firings {
            let rule_actor = Actor::Rule(firing.rule_id);
            let mut change = change_of(&firing.actions, at);
            let mut extra = vec![NewEvent::new(
                "rule_fired",
                json!({"rule_id": firing.rule_id, "rule": firing.rule, "because": firing.because,
                       "actions": firing.actions.iter().map(Action::name).collect::<Vec<_>>()}),
            )];
            if let Some(Some(policy_id)) = change.sla_policy {
                match s.policies.get(&policy_id) {
                    Some(policy) => {
                        if let Some(waiting) = c.waiting_since {
                            let answered = c.first_response_at.is_some();
                            change.sla_due_at = Some(policy.response_due(waiting, answered));
                            change.sla_warn_at = Some(policy.warning_due(waiting, answered));
                        }
                        if let Some(resolution) = policy.resolution {
                            change.resolution_due_at =
                                Some(policy.calendar.add(c.first_message_at, resolution));
                        }
                    }
                    None => {
                        change.sla_policy = None;
                        extra.push(NewEvent::new(
                            "rule_skipped",
                            json!({"rule_id": firing.rule_id, "action": "apply_sla",
                                   "reason": format!("SLA policy {policy_id} does not exist")}),
                        ));
                    }
                }
            }
            if matches!(
                change.status,
                Some(ConversationStatus::Pending | ConversationStatus::Snoozed)
            ) {
                if let Some(due) = c.sla_due_at {
                    let sla = self.store.sla_state(ws, c.id).await?;
                    let policy = s.policy(sla.policy_id, c.priority);
                    change.sla_due_at = Some(None);
                    change.sla_remaining = Some(Some(
                        policy
                            .calendar
                            .between(at, due)
                            .max(chrono::Duration::zero()),
                    ));
                }
            }
            for action in &firing.actions {
                match action {
                    Action::Reply { template } => {
                        if opted_out {
                            extra.push(NewEvent::new(
                                "rule_skipped",
                                json!({"rule_id": firing.rule_id, "action": "reply",
                                       "reason": "the contact opted out of engagement"}),
                            ));
                        } else {
                            plan.replies.push(PendingReply {
                                conversation: c.id,
                                contact: c.contact_id,
                                actor: rule_actor,
                                template: template.clone(),
                                answering: message.cloned(),
                            });
                        }
                    }
                    Action::Note { text } => extra.push(NewEvent::new(
                        "note",
                        json!({"text": text, "rule_id": firing.rule_id}),
                    )),
                    Action::Notify { agent_id, message } => {
                        plan.outbox.push(NewOutbox {
                            conversation_id: Some(c.id),
                            kind: "notification",
                            message_id: None,
                            payload: json!({"agent_id": agent_id, "message": message, "conversation_id": c.id}),
                        });
                        extra.push(NewEvent::new(
                            "notification",
                            json!({"agent_id": agent_id, "message": message}),
                        ));
                    }
                    Action::Webhook { url } => {
                        plan.outbox.push(NewOutbox {
                            conversation_id: Some(c.id),
                            kind: "webhook",
                            message_id: None,
                            payload: json!({"url": url, "event": "rule_fired", "rule_id": firing.rule_id,
                                            "rule": firing.rule, "conversation_id": c.id}),
                        });
                        extra.push(NewEvent::new("webhook_queued", json!({"url": url})));
                    }
                    _ => {}
                }
            }
            plan.changes.push(ChangeRequest {
                conversation: c.id,
                change,
                actor: rule_actor,
                extra,
            });
        }
        if let Some(a) = decision.assignment {
            plan.changes.push(assignment_request(&a));
        } else if decision.backlogged {
            plan.changes.push(ChangeRequest {
                conversation: c.id,
                change: ConversationChange::default(),
                actor: Actor::System,
                extra: vec![NewEvent::new("backlogged", json!({"team": decision.team}))],
            });
        }
        Ok(())
    }

    /// Writes a plan: the changes in one transaction, then the deliveries, then the automated
    /// replies (one ingest, one enqueue, one transaction for their events); then the desk
    /// follows the stored changes.
    async fn flush(&self, ws: WorkspaceId, state: &Mutex<State>, plan: Plan) -> StoreResult<()> {
        let changed = if plan.changes.is_empty() {
            Vec::new()
        } else {
            self.store.change_conversations(ws, &plan.changes).await?
        };
        if !plan.outbox.is_empty() {
            self.store.enqueue(ws, &plan.outbox).await?;
        }
        if !plan.replies.is_empty() {
            self.send_automated(ws, &plan.replies).await?;
        }
        for (c, request) in changed.iter().zip(&plan.changes) {
            if matches!(request.actor, Actor::Rule(_)) {
                self.follow(ws, state, c, request.actor).await?;
            }
        }
        Ok(())
    }

    /// Automated replies of a plan, answering the message that triggered each.
    async fn send_automated(&self, ws: WorkspaceId, replies: &[PendingReply]) -> StoreResult<()> {
        let channels = self.store.list_channels(ws).await?;
        let at = now();
        let mut inbounds = Vec::new();
        let mut kept = Vec::new();
        for (n, r) in replies.iter().enumerate() {
            let Some(c) = self.store.get_conversation(ws, r.conversation).await? else {
                continue;
            };
            let Some(channel) = channels.iter().find(|ch| ch.id == c.channel_id) else {
                continue;
            };
            let profile = self.store.get_contact(ws, r.contact).await?;
            let (name, handle) = profile
                .map(|p| {
                    let handle = p
                        .identities
                        .iter()
                        .find_map(|i| i.handle.clone())
                        .unwrap_or_default();
                    (
                        p.contact.display_name.unwrap_or_else(|| handle.clone()),
                        handle,
                    )
                })
                .unwrap_or_default();
            let text = render_template(&r.template, &name, &handle, c.id.0);
            let external_id = format!(
                "earshot-reply-{}-{}-{n}",
                c.id.0,
                at.timestamp_nanos_opt().unwrap_or_default()
            );
            inbounds.push(Inbound {
                channel: channel.kind,
                account: Some(channel.name.clone()),
                source: ChannelRole::Owned,
                external_id: external_id.clone(),
                direction: Direction::Out,
                visibility: r
                    .answering
                    .as_ref()
                    .map(|m| m.visibility)
                    .unwrap_or_default(),
                author: InboundAuthor {
                    external_id: channel.name.clone(),
                    handle: Some(channel.name.clone()),
                    display_name: None,
                    followers: None,
                    verified: false,
                },
                text: text.clone(),
                created_at: at,
                in_reply_to: r.answering.as_ref().map(|m| m.external_id.clone()),
                raw: None,
            });
            kept.push((r, c, channel.clone(), text, external_id));
        }
        if inbounds.is_empty() {
            return Ok(());
        }
        let outcomes = self.store.ingest(ws, &inbounds).await?;
        let mut outbox = Vec::new();
        let mut placed = Vec::new();
        for ((r, _, channel, text, external_id), outcome) in kept.iter().zip(&outcomes) {
            if let IngestOutcome::Stored {
                message_id,
                conversation_id,
                ..
            } = outcome
            {
                outbox.push(NewOutbox {
                    conversation_id: Some(*conversation_id),
                    kind: "reply",
                    message_id: Some(*message_id),
                    payload: json!({"channel": channel.kind, "account": channel.name, "text": text,
                                    "in_reply_to": r.answering.as_ref().map(|m| m.external_id.clone()),
                                    "external_id": external_id}),
                });
                placed.push((r, *message_id, *conversation_id));
            }
        }
        let ids = self.store.enqueue(ws, &outbox).await?;
        let mut events = Vec::new();
        for ((r, message_id, conversation), outbox_id) in placed.into_iter().zip(ids) {
            let extra = vec![NewEvent::new(
                "reply_queued",
                json!({"message_id": message_id, "outbox_id": outbox_id, "automated": true}),
            )];
            events.push(ChangeRequest {
                conversation,
                change: ConversationChange::default(),
                actor: r.actor,
                extra,
            });
        }
        self.store.change_conversations(ws, &events).await?;
        Ok(())
    }

    /// Keeps the desk in step with a stored change (and runs rules for changes not made by
    /// rules): a resolved or reassigned conversation frees its agent, who takes from the
    /// backlog; a conversation given to a team without an agent goes to the desk.
    async fn follow(
        &self,
        ws: WorkspaceId,
        state: &Mutex<State>,
        changed: &Changed,
        actor: Actor,
    ) -> StoreResult<()> {
        let (b, a) = (&changed.before, &changed.after);
        let at = now();
        let made = {
            let mut s = state.lock().await;
            let mut made = Vec::new();
            let resolved = a.status == ConversationStatus::Resolved;
            if resolved || b.assignee_id != a.assignee_id {
                // Whoever had it is free (and takes from the backlog); a new holder holds it.
                made.extend(s.desk.release(a.id, at));
                if !resolved {
                    if let (Some(team), Some(agent)) = (a.team_id, a.assignee_id) {
                        s.desk.hold(waiting_of(a, team, None, Vec::new()), agent);
                    }
                }
            }
            if !resolved && a.assignee_id.is_none() && b.team_id != a.team_id {
                // Moved to a team without an agent: the team's desk (a no-op when the rules
                // stage already routed it).
                if let Some(team) = a.team_id {
                    made.extend(s.desk.route(waiting_of(a, team, None, Vec::new()), at));
                }
            }
            if b.priority != a.priority {
                s.desk.reprioritize(a.id, a.priority);
            }
            made
        };
        self.store_assignments(ws, &made).await?;
        if matches!(actor, Actor::Rule(_)) {
            return Ok(()); // the loop guard: a rule's effects run no rules
        }
        let state_rules_empty = state.lock().await.rules.is_empty();
        if state_rules_empty {
            return Ok(());
        }
        let mut triggers = Vec::new();
        if b.status != a.status {
            triggers.push(Trigger::StatusChanged);
        }
        if b.assignee_id != a.assignee_id || b.team_id != a.team_id {
            triggers.push(Trigger::Assigned);
        }
        if !triggers.is_empty() || b.priority != a.priority || !changed.events.is_empty() {
            triggers.push(Trigger::ConversationUpdated);
        }
        for trigger in triggers {
            let current = self
                .store
                .get_conversation(ws, a.id)
                .await?
                .unwrap_or_else(|| a.clone());
            let mut before_facts = self.facts(ws, b).await?;
            before_facts.set(Field::ConversationStatus, Value::text(b.status.as_str()));
            let facts = self.facts(ws, &current).await?.with_before(&before_facts);
            Box::pin(self.run(ws, state, &current, trigger, actor, facts)).await?;
        }
        Ok(())
    }

    /// Pauses the SLA clock of a conversation going pending or snoozed: the business time
    /// left is kept, the due time cleared.
    async fn pause_sla(
        &self,
        ws: WorkspaceId,
        c: &Conversation,
        change: &mut ConversationChange,
    ) -> StoreResult<()> {
        if let Some(due) = c.sla_due_at {
            let policy = self.policy_of(ws, c).await?;
            let left = policy.calendar.between(now(), due);
            change.sla_due_at = Some(None);
            change.sla_remaining = Some(Some(left.max(chrono::Duration::zero())));
        }
        Ok(())
    }

    /// Resumes a paused clock: due after the business time that was left.
    async fn resume_sla(
        &self,
        ws: WorkspaceId,
        c: &Conversation,
        change: &mut ConversationChange,
    ) -> StoreResult<()> {
        let sla = self.store.sla_state(ws, c.id).await?;
        if let Some(secs) = sla.remaining_seconds {
            let policy = self.policy_of(ws, c).await?;
            change.sla_due_at = Some(policy.calendar.add(now(), chrono::Duration::seconds(secs)));
            change.sla_remaining = Some(None);
        }
        Ok(())
    }

    async fn policy_of(&self, ws: WorkspaceId, c: &Conversation) -> StoreResult<Policy> {
        let sla = self.store.sla_state(ws, c.id).await?;
        let state = self.state(ws).await?;
        let policy = state.lock().await.policy(sla.policy_id, c.priority);
        Ok(policy)
    }

    /// An agent's (or the API's) change: stored with its events, then the desk and the rules
    /// follow. Going pending or snoozed pauses the SLA clock; coming back resumes it.
    pub async fn change(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        mut change: ConversationChange,
        actor: Actor,
        extra: &[NewEvent],
    ) -> StoreResult<Changed> {
        let state = self.state(ws).await?;
        let c = self
            .store
            .get_conversation(ws, id)
            .await?
            .ok_or(StoreError::NotFound {
                what: "conversation",
                id: id.0,
            })?;
        let paused = matches!(
            c.status,
            ConversationStatus::Pending | ConversationStatus::Snoozed
        );
        match change.status {
            Some(ConversationStatus::Pending | ConversationStatus::Snoozed) if !paused => {
                self.pause_sla(ws, &c, &mut change).await?
            }
            Some(s)
                if paused
                    && !matches!(s, ConversationStatus::Pending | ConversationStatus::Snoozed) =>
            {
                self.resume_sla(ws, &c, &mut change).await?;
                if c.status == ConversationStatus::Snoozed {
                    change.snoozed_until = Some(None);
                }
            }
            _ => {}
        }
        let changed = self
            .store
            .change_conversation(ws, id, &change, actor, extra)
            .await?;
        self.follow(ws, &state, &changed, actor).await?;
        self.changes.notify(ws);
        Ok(changed)
    }

    /// An agent's reply: refused when someone answered after `last_seen` (unless `force`);
    /// stored as an outbound message on the conversation's channel (so first/next response
    /// times and the SLA see it) and queued in the outbox for the channel's sender.
    pub async fn reply(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        agent: AgentId,
        text: &str,
        last_seen: Option<MessageId>,
        force: bool,
    ) -> Result<Replied, ActionError> {
        self.send_reply(ws, id, Actor::Agent(agent), text, last_seen, force)
            .await
    }

    async fn send_reply(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        actor: Actor,
        text: &str,
        last_seen: Option<MessageId>,
        force: bool,
    ) -> Result<Replied, ActionError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ActionError::Invalid("`text` must not be empty".into()));
        }
        let store = &self.store;
        let before = store
            .get_conversation(ws, id)
            .await?
            .ok_or(StoreError::NotFound {
                what: "conversation",
                id: id.0,
            })?;
        let messages = store.conversation_messages(ws, id).await?;
        if let (Some(seen), false) = (last_seen, force) {
            if let Some(newer) = messages
                .iter()
                .filter(|m| m.direction == Direction::Out && m.id.0 > seen.0)
                .max_by_key(|m| m.id)
            {
                return Err(ActionError::Collision {
                    seen: seen.0,
                    message_id: newer.id.0,
                });
            }
        }
        let channel = store
            .list_channels(ws)
            .await?
            .into_iter()
            .find(|ch| ch.id == before.channel_id)
            .ok_or(StoreError::NotFound {
                what: "channel",
                id: before.channel_id.0,
            })?;
        let last_in = messages.iter().rev().find(|m| m.direction == Direction::In);
        let at = now();
        let external_id = format!(
            "earshot-reply-{}-{}",
            id.0,
            at.timestamp_nanos_opt().unwrap_or_default()
        );
        let inbound = Inbound {
            channel: channel.kind,
            account: Some(channel.name.clone()),
            source: ChannelRole::Owned,
            external_id: external_id.clone(),
            direction: Direction::Out,
            visibility: last_in.map(|m| m.visibility).unwrap_or_default(),
            author: InboundAuthor {
                external_id: channel.name.clone(),
                handle: Some(channel.name.clone()),
                display_name: None,
                followers: None,
                verified: false,
            },
            text: text.to_string(),
            created_at: at,
            in_reply_to: last_in.map(|m| m.external_id.clone()),
            raw: None,
        };
        let outcome = store.ingest(ws, &[inbound]).await?;
        let message_id = match outcome.first() {
            Some(IngestOutcome::Stored { message_id, .. }) => *message_id,
            other => {
                return Err(ActionError::Invalid(format!(
                    "the reply was not stored: {other:?}"
                )));
            }
        };
        let ids = store
            .enqueue(
                ws,
                &[NewOutbox {
                    conversation_id: Some(id),
                    kind: "reply",
                    message_id: Some(message_id),
                    payload: json!({"channel": channel.kind, "account": channel.name, "text": text,
                                "in_reply_to": last_in.map(|m| m.external_id.clone()),
                                "external_id": external_id}),
                }],
            )
            .await?;
        let mut extra = vec![NewEvent::new(
            "reply_queued",
            json!({"message_id": message_id, "outbox_id": ids[0]}),
        )];
        if let (Some(due), Some(_)) = (before.sla_due_at, before.waiting_since) {
            extra.push(NewEvent::new(
                "sla_answered",
                json!({"target": if before.first_response_at.is_some() { "next_response" } else { "first_response" },
                       "due": due, "answered_at": at, "met": at <= due}),
            ));
        }
        let changed = store
            .change_conversation(ws, id, &ConversationChange::default(), actor, &extra)
            .await?;
        self.changes.notify(ws);
        Ok(Replied {
            message_id,
            outbox_id: ids[0],
            conversation: changed.after,
        })
    }

    /// An agent or the availability of one changed: the desk takes it in, and whoever has
    /// room now takes from the backlog.
    pub async fn agent_changed(&self, ws: WorkspaceId, agent: &Agent) -> StoreResult<()> {
        let state = self.state(ws).await?;
        let made = {
            let mut s = state.lock().await;
            s.idle = false;
            let current_open = s.desk.agent(agent.id).map_or(0, |a| a.open);
            let mut load = load_of(agent);
            load.open = current_open;
            s.desk.upsert_agent(load, now())
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

    /// The timer worker found an SLA warning or breach due: recorded, and rules run.
    pub async fn sla_event(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        trigger: Trigger,
        due: Timestamp,
        target: &str,
    ) -> StoreResult<()> {
        let kind = match trigger {
            Trigger::SlaWarning => "sla_warning",
            _ => "sla_breach",
        };
        let state = self.state(ws).await?;
        let Some(c) = self.store.get_conversation(ws, id).await? else {
            return Ok(());
        };
        // The SLA part of the priority: 10 at the warning, 15 once breached.
        let mut change = ConversationChange::default();
        if let Some(base) = self.store.conversation_priority(ws, id).await? {
            let contact = self.store.get_contact(ws, c.contact_id).await?;
            let adjusted = earshot_core::priority::adjust(
                &base,
                earshot_core::priority::Context {
                    tier: contact.as_ref().and_then(|p| p.contact.tier.as_deref()),
                    value: contact.as_ref().and_then(|p| p.contact.value),
                    sla_left: Some(if trigger == Trigger::SlaWarning {
                        0.1
                    } else {
                        -1.0
                    }),
                },
            );
            if adjusted.score != c.priority {
                change.priority = Some(adjusted.score);
                change.priority_detail = Some(adjusted);
            }
        }
        let c = self
            .store
            .change_conversation(
                ws,
                id,
                &change,
                Actor::System,
                &[NewEvent::new(kind, json!({"due": due, "target": target}))],
            )
            .await?
            .after;
        let facts = self.facts(ws, &c).await?;
        self.run(ws, &state, &c, trigger, Actor::System, facts)
            .await
    }

    /// A time-based rule's moment came for a conversation: its rules for that trigger run.
    pub async fn timed(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        trigger: Trigger,
    ) -> StoreResult<()> {
        let state = self.state(ws).await?;
        let Some(c) = self.store.get_conversation(ws, id).await? else {
            return Ok(());
        };
        let facts = self.facts(ws, &c).await?;
        self.run(ws, &state, &c, trigger, Actor::System, facts)
            .await
    }

    /// A snooze ended: the conversation opens again and its SLA clock resumes.
    pub async fn wake(&self, ws: WorkspaceId, id: ConversationId) -> StoreResult<()> {
        let Some(c) = self.store.get_conversation(ws, id).await? else {
            return Ok(());
        };
        if c.status != ConversationStatus::Snoozed {
            return Ok(());
        }
        let change = ConversationChange {
            status: Some(ConversationStatus::Open),
            ..Default::default()
        };
        self.change(
            ws,
            id,
            change,
            Actor::System,
            &[NewEvent::new("snooze_ended", json!({}))],
        )
        .await
        .map(|_| ())
    }
}
