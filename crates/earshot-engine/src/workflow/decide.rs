//! The decide stage: what the rules, the desk and the SLA clocks make of a batch (or of one
//! event: a status change, a timer), as a [`Plan`] of writes. Everything here is synchronous
//! and reads only what it is given (the workspace's [`State`] and the conversations'
//! [`Context`]s), so it is tested without a database and the caller writes the plan in the
//! same transaction as the messages it decides about.

use earshot_core::assign::{AgentLoad, Assignment, Desk, Waiting};
use earshot_core::enrichment::Enrichment;
use earshot_core::route::{decide, Event, Subject};
use earshot_core::rules::{Action, Actor, Facts, Field, MessageFacts, RuleSet, Trigger, Value};
use earshot_core::sla::Policy;
use earshot_core::store::{Annotations, IngestOutcome};
use earshot_core::time::Timestamp;
use earshot_core::workflow::{
    ChangeRequest, Changed, Context, ConversationChange, NewEvent, NewOutbox,
};
use earshot_core::{
    Agent, Conversation, ConversationId, ConversationStatus, Direction, Inbound, TeamId,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// One workspace's compiled rules, SLA policies and assignment desk.
pub(crate) struct State {
    pub rules: RuleSet,
    pub policies: HashMap<i64, Policy>,
    pub desk: Desk,
    /// No rules and no teams: nothing to decide after ingest.
    pub idle: bool,
}

impl State {
    /// The SLA policy a conversation runs on: the one a rule applied, else the
    /// out-of-the-box one for its priority.
    pub fn policy(&self, applied: Option<i64>, priority: i32) -> Policy {
        applied
            .and_then(|p| self.policies.get(&p).cloned())
            .unwrap_or_else(|| Policy::out_of_the_box(earshot_core::priority::label(priority)))
    }
}

/// Facts from what the store knows of a conversation (`c` may be an earlier state of
/// `ctx.conversation`), and the message when there is one.
pub(crate) fn facts_of(
    c: &Conversation,
    ctx: &Context,
    message: Option<(&Inbound, Option<&Enrichment>)>,
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
        .with_engagement(ctx.contact_engagement.as_deref())
}

pub(crate) fn waiting_of(c: &Conversation, team: TeamId) -> Waiting {
    Waiting {
        id: c.id,
        team,
        language: None,
        channel: c.channel_kind,
        topics: Vec::new(),
        priority: c.priority,
        waiting_since: c.waiting_since.unwrap_or(c.first_message_at),
    }
}

pub(crate) fn load_of(a: &Agent) -> AgentLoad {
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

/// An automated reply to send with the plan's other writes.
#[derive(Debug, Clone)]
pub(crate) struct PendingReply {
    pub conversation: ConversationId,
    pub actor: Actor,
    pub template: String,
    /// The customer message it answers.
    pub answering: Option<Inbound>,
    /// The rule says its reply answers the customer (ends the wait, counts for the SLA).
    pub counts_as_response: bool,
}

/// What one or more decisions will write, and the state they leave each conversation in (so
/// a later message of the same conversation in the same batch sees it).
#[derive(Default)]
pub(crate) struct Plan {
    pub changes: Vec<ChangeRequest>,
    pub outbox: Vec<NewOutbox>,
    pub replies: Vec<PendingReply>,
    overlay: HashMap<ConversationId, Vec<(Field, Value)>>,
    /// Conversations whose policy due time this plan already sets.
    sla_set: HashSet<ConversationId>,
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
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.outbox.is_empty() && self.replies.is_empty()
    }
    /// Facts read from the store before this plan's writes: bring them up to date.
    pub fn overlay(&self, c: ConversationId, facts: &mut Facts) {
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

pub(crate) fn assignment_request(a: &Assignment) -> ChangeRequest {
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

/// The SLA clock of a conversation going pending or snoozed stops: the business time left
/// is kept, the due time cleared.
pub(crate) fn pause(
    policy: &Policy,
    c: &Conversation,
    at: Timestamp,
    change: &mut ConversationChange,
) {
    if let Some(due) = c.sla_due_at {
        change.sla_due_at = Some(None);
        change.sla_remaining = Some(Some(policy.time_left(at, due)));
    }
}

/// A paused clock runs again: due after the business time that was left, with its warning.
/// Returns the seconds that were left, for the history.
pub(crate) fn resume(
    policy: &Policy,
    ctx: &Context,
    at: Timestamp,
    change: &mut ConversationChange,
) -> Option<i64> {
    let secs = ctx.sla_remaining_seconds?;
    let answered = ctx.conversation.first_response_at.is_some();
    let (due, warn) = policy.resume(at, chrono::Duration::seconds(secs), answered);
    change.sla_due_at = Some(due);
    change.sla_warn_at = Some(warn);
    change.sla_remaining = Some(None);
    Some(secs)
}

/// Decides (rules, priority, desk) for one event of a conversation and adds the writes to
/// `plan`. `ctx` is what the store knows of the conversation; `c` the state the event saw.
#[allow(clippy::too_many_arguments)]
pub(crate) fn event(
    s: &mut State,
    ctx: &Context,
    c: &Conversation,
    trigger: Trigger,
    actor: Actor,
    mut facts: Facts,
    message: Option<&Inbound>,
    at: Timestamp,
    plan: &mut Plan,
) {
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
            pause(&s.policy(ctx.sla_policy, c.priority), c, at, &mut change);
        }
        for action in &firing.actions {
            match action {
                Action::Reply {
                    template,
                    counts_as_response,
                } => {
                    if opted_out {
                        extra.push(NewEvent::new(
                            "rule_skipped",
                            json!({"rule_id": firing.rule_id, "action": "reply",
                                   "reason": "the contact opted out of engagement"}),
                        ));
                    } else {
                        plan.replies.push(PendingReply {
                            conversation: c.id,
                            actor: rule_actor,
                            template: template.clone(),
                            answering: message.cloned(),
                            counts_as_response: *counts_as_response,
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
                        // The receiving system learns the customer's choice too.
                        payload: json!({"url": url, "event": "rule_fired", "rule_id": firing.rule_id,
                                        "rule": firing.rule, "conversation_id": c.id,
                                        "contact": {"id": c.contact_id, "opted_out": ctx.opted_out}}),
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
}

/// The facts a customer message gives the rules, and its priority as the decide stage
/// adjusts it with what it knows besides (the customer's tier or value, the SLA time left):
/// `Some` when that changes the score. The batch and dry runs both read facts through this.
pub(crate) fn message_facts(
    ctx: &Context,
    m: &Inbound,
    enrichment: Option<&Enrichment>,
    base: Option<&earshot_core::priority::Priority>,
    at: Timestamp,
) -> (Facts, Option<earshot_core::priority::Priority>) {
    let c = &ctx.conversation;
    let mut facts = facts_of(c, ctx, Some((m, enrichment)), at);
    let Some(base) = base else {
        return (facts, None);
    };
    let adjusted = earshot_core::priority::adjust(
        base,
        earshot_core::priority::Context {
            tier: ctx.contact_tier.as_deref(),
            value: ctx.contact_value,
            sla_left: sla_left_share(c, at),
        },
    );
    if adjusted.score == base.score {
        return (facts, None);
    }
    facts.set(
        Field::ConversationPriority,
        Value::Number(f64::from(adjusted.score)),
    );
    facts.set(
        Field::ConversationPriorityLabel,
        Value::text(earshot_core::priority::label(adjusted.score)),
    );
    (facts, Some(adjusted))
}

/// A status change a stored batch made (the brand answering a new conversation, a customer
/// writing to a resolved, pending or snoozed one), once per conversation.
pub(crate) type Transition = (ConversationId, ConversationStatus, ConversationStatus);

/// The conversations a stored batch needs decisions for: those of its stored customer
/// messages and those whose status the batch changed.
pub(crate) fn wanted(
    batch: &[Inbound],
    outcomes: &[IngestOutcome],
) -> (Vec<ConversationId>, Vec<Transition>) {
    let mut transitions: Vec<Transition> = Vec::new();
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
    let ids = outcomes
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
    (ids, transitions)
}

/// The rules and assign stages for a stored batch: for each customer message stored (not
/// duplicates, not counted listening posts), `conversation_created` rules (for the message
/// that opened its conversation) and `message_received` rules run, then the conversation goes
/// to its team's desk; conversations whose status the batch changed run `status_changed`
/// rules, and a customer waking a paused one resumes its SLA clock.
pub(crate) fn batch(
    s: &mut State,
    batch: &[Inbound],
    annotations: &[Annotations],
    outcomes: &[IngestOutcome],
    transitions: &[Transition],
    contexts: &HashMap<ConversationId, Context>,
    at: Timestamp,
) -> Plan {
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
        // The message that opened the conversation (also when a whole thread arrives in one
        // batch, as imports do).
        if c.first_message_at.timestamp_millis() == m.created_at.timestamp_millis() {
            triggers.push(Trigger::ConversationCreated);
        }
        triggers.push(Trigger::MessageReceived);
        // The message's priority with what the workflow knows besides: the customer's tier
        // or value, the SLA time left.
        let base = annotations.get(i).and_then(|a| a.priority.as_ref());
        let (read, adjusted) = message_facts(ctx, m, enrichment, base, at);
        if let Some(adjusted) = adjusted {
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
        for trigger in triggers {
            let mut facts = read.clone();
            plan.overlay(c.id, &mut facts);
            event(
                s,
                ctx,
                c,
                trigger,
                Actor::Customer,
                facts,
                Some(m),
                at,
                &mut plan,
            );
        }
    }
    for &(id, from, to) in transitions {
        let Some(ctx) = contexts.get(&id) else {
            continue;
        };
        let c = &ctx.conversation;
        // Woken from pending or snoozed by the customer: the paused SLA clock resumes with the
        // business time that was left (the store counted from the oldest unanswered message,
        // which would charge the paused time).
        if matches!(
            from,
            ConversationStatus::Pending | ConversationStatus::Snoozed
        ) {
            let mut change = ConversationChange {
                snoozed_until: Some(None),
                ..Default::default()
            };
            let policy = s.policy(ctx.sla_policy, c.priority);
            if let Some(secs) = resume(&policy, ctx, at, &mut change) {
                plan.changes.push(ChangeRequest {
                    conversation: c.id,
                    change,
                    actor: Actor::Customer,
                    extra: vec![NewEvent::new("sla_resumed", json!({"left_seconds": secs}))],
                });
            }
        }
        // Back from resolved: the agent who had it has it again (the customer keeps their
        // agent, even past that agent's capacity); without an agent, the rules stage routes
        // it to its team's desk.
        if from == ConversationStatus::Resolved {
            if let (Some(team), Some(agent)) = (c.team_id, c.assignee_id) {
                s.desk.hold(waiting_of(c, team), agent);
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
        event(
            s,
            ctx,
            c,
            Trigger::StatusChanged,
            actor,
            facts,
            None,
            at,
            &mut plan,
        );
    }
    plan
}

/// Keeps the desk in step with a stored change: a resolved or reassigned conversation frees
/// its agent, who takes from the backlog; a conversation given to a team without an agent
/// goes to the desk. Returns the assignments this makes.
pub(crate) fn follow_desk(s: &mut State, changed: &Changed, at: Timestamp) -> Vec<Assignment> {
    let (b, a) = (&changed.before, &changed.after);
    let mut made = Vec::new();
    let resolved = a.status == ConversationStatus::Resolved;
    if resolved || b.assignee_id != a.assignee_id {
        // Whoever had it is free (and takes from the backlog); a new holder holds it.
        made.extend(s.desk.release(a.id, at));
        if !resolved {
            if let (Some(team), Some(agent)) = (a.team_id, a.assignee_id) {
                s.desk.hold(waiting_of(a, team), agent);
            }
        }
    }
    if !resolved && a.assignee_id.is_none() && b.team_id != a.team_id {
        // Moved to a team without an agent: the team's desk (a no-op when the rules stage
        // already routed it).
        if let Some(team) = a.team_id {
            made.extend(s.desk.route(waiting_of(a, team), at));
        }
    }
    if b.priority != a.priority {
        s.desk.reprioritize(a.id, a.priority);
    }
    made
}

/// The rule triggers a change by a person or by Earshot raises (a rule's own changes raise
/// none: the loop guard).
pub(crate) fn triggers_of(changed: &Changed) -> Vec<Trigger> {
    let (b, a) = (&changed.before, &changed.after);
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
    triggers
}
