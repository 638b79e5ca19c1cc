//! A routing decision: the rules stage and the assign stage of the pipeline for one event on a
//! conversation, as one pure function. Rules run over the facts (their effects visible to the
//! rules after them), then a conversation that has a team but no agent goes to the team's
//! [`Desk`]: an agent now, or the backlog. The engine stores what the decision says; the
//! benchmark (`earshot bench route`) times exactly this.

use crate::assign::{Assignment, Desk, Waiting};
use crate::rules::{Action, Actor, Facts, Field, Firing, Refused, RuleSet, Trigger, Value};
use crate::time::Timestamp;
use crate::{AgentId, ChannelKind, ConversationId, TeamId};

/// The conversation as routing needs it.
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: ConversationId,
    pub channel: ChannelKind,
    pub waiting_since: Timestamp,
    /// Topic names, lowercase.
    pub topics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    /// The rules that fired, in order, with their actions (the engine applies the actions
    /// that are not already reflected below: tags, status, replies, notes, notifications…).
    pub firings: Vec<Firing>,
    /// The rules did not run: the event was caused by a rule.
    pub loop_guarded: bool,
    /// The priority after the rules (0–100).
    pub priority: i32,
    pub team: Option<TeamId>,
    /// The agent the conversation has after the decision (a rule's choice, the desk's choice
    /// or whoever had it).
    pub assignee: Option<AgentId>,
    /// What the desk did: an assignment, or `backlogged` when nobody could take it and it
    /// entered the team's backlog (not when it was waiting there already).
    pub assignment: Option<Assignment>,
    pub backlogged: bool,
}

/// What happened, caused by whom, when.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub trigger: Trigger,
    pub actor: Actor,
    pub at: Timestamp,
}

/// Decides rules, priority and assignment for `event` on `subject`. `facts` must hold the
/// conversation's current state (including `conversation.priority`, already scored).
pub fn decide(
    rules: &RuleSet,
    desk: &mut Desk,
    event: Event,
    facts: &mut Facts,
    subject: &Subject,
    explain: bool,
) -> Decision {
    let now = event.at;
    let had_assignee = id_of(facts.get(Field::ConversationAssignee));
    let mut decision = Decision::default();
    match rules.run(event.trigger, event.actor, facts, explain) {
        Ok(firings) => decision.firings = firings,
        Err(Refused::CausedByRule) => decision.loop_guarded = true,
    }
    decision.priority = match facts.get(Field::ConversationPriority) {
        Value::Number(n) => *n as i32,
        _ => 0,
    };
    decision.team = id_of(facts.get(Field::ConversationTeam)).map(TeamId);
    let rule_agent = decision
        .firings
        .iter()
        .flat_map(|f| &f.actions)
        .rev()
        .find_map(|a| match a {
            Action::AssignAgent { agent_id } => Some(*agent_id),
            _ => None,
        });
    let status = facts.get(Field::ConversationStatus).clone();
    let closed = status == Value::text("resolved");
    let waiting = |team: TeamId| Waiting {
        id: subject.id,
        team,
        language: match facts.get(Field::MessageLanguage) {
            Value::Text(l) => Some(l.clone()),
            _ => None,
        },
        channel: subject.channel,
        topics: subject.topics.clone(),
        priority: decision.priority,
        waiting_since: subject.waiting_since,
    };
    match (rule_agent, had_assignee, decision.team) {
        (Some(agent), _, team) => {
            if had_assignee.map(AgentId) != Some(agent) {
                desk.release(subject.id, now);
                if let Some(team) = team {
                    desk.hold(waiting(team), agent);
                }
            }
            decision.assignee = Some(agent);
        }
        (None, Some(agent), _) => {
            decision.assignee = Some(AgentId(agent));
            desk.reprioritize(subject.id, decision.priority);
        }
        (None, None, Some(team)) if !closed => {
            // Said when it enters a team's backlog, not again at each message while it waits.
            let was_waiting = desk.waiting_in(subject.id) == Some(team);
            let w = waiting(team);
            match desk.route(w, now) {
                Some(a) => {
                    decision.assignee = Some(a.agent);
                    decision.assignment = Some(a);
                }
                None => {
                    decision.backlogged = !was_waiting && desk.assignee_of(subject.id).is_none()
                }
            }
        }
        _ => {}
    }
    if let Some(agent) = decision.assignee {
        facts.set(Field::ConversationAssignee, Value::Number(agent.0 as f64));
    }
    decision
}

fn id_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => Some(*n as i64),
        _ => None,
    }
}
