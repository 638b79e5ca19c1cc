//! Dry runs: the real decide stage (the same facts, the same priority adjustment, the rules
//! and a copy of the desk) on a stored or described conversation, with nothing written and
//! nothing taken from the desk.

use super::decide::{self, Plan, State};
use super::*;
use earshot_core::enrichment::Enrichment;
use earshot_core::priority::Priority;
use earshot_core::rules::DryRunRule;
use serde::Serialize;

/// What the decide stage would make of an event.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    /// Every rule for the trigger, in order, with the tests that decided it.
    pub rules: Vec<DryRunRule>,
    /// The message's priority as the decide stage sees it (with the customer's tier or value).
    pub priority: Option<Priority>,
    /// The writes it would make, in order: who makes each and what it changes.
    pub decisions: Vec<Decision>,
    /// The automated replies it would send, as the customer would read them.
    pub replies: Vec<String>,
}

/// One write the decide stage would make.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub actor: Actor,
    /// The fields it sets (`status`, `assignee`, `team`, `priority`, `add_tags`, …).
    pub change: serde_json::Value,
    /// The history events it records besides (`rule_fired`, `auto_assigned`, …).
    pub events: Vec<&'static str>,
}

/// A dry run's event: the trigger, the conversation as the store knows it (or as described),
/// and the message with what the enrich stage found, when there is one.
pub struct DryRunEvent<'a> {
    pub trigger: Trigger,
    pub context: Context,
    pub message: Option<(&'a Inbound, Option<&'a Enrichment>, Option<&'a Priority>)>,
    /// Rules to try instead of the workspace's.
    pub rules: Option<RuleSet>,
}

impl Workflow {
    /// What the decide stage would do for `event`; nothing is stored or changed.
    pub async fn dry_run(&self, ws: WorkspaceId, event: DryRunEvent<'_>) -> StoreResult<DryRun> {
        let state = self.state(ws).await?;
        let mut scratch = {
            let s = state.lock().await;
            State {
                rules: event.rules.unwrap_or_else(|| s.rules.clone()),
                policies: s.policies.clone(),
                desk: s.desk.clone(),
                idle: false,
            }
        };
        let at = self.now();
        let ctx = &event.context;
        let c = ctx.conversation.clone();
        let (facts, priority) = match event.message {
            Some((m, enrichment, base)) => {
                let (facts, adjusted) = decide::message_facts(ctx, m, enrichment, base, at);
                (facts, adjusted.or_else(|| base.cloned()))
            }
            None => (decide::facts_of(&c, ctx, None, at), None),
        };
        let rules = scratch.rules.dry_run(event.trigger, &facts);
        let mut plan = Plan::default();
        decide::event(
            &mut scratch,
            ctx,
            &c,
            event.trigger,
            Actor::Customer,
            facts,
            event.message.map(|m| m.0),
            at,
            &mut plan,
        );
        Ok(DryRun {
            rules,
            priority,
            decisions: plan.changes.iter().map(decision).collect(),
            replies: plan
                .replies
                .iter()
                .enumerate()
                .map(|(n, r)| replies::automated(r, ctx, at, n).text)
                .collect(),
        })
    }
}

fn decision(r: &ChangeRequest) -> Decision {
    let c = &r.change;
    let mut change = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        change.insert(k.to_string(), v);
    };
    if let Some(s) = c.status {
        put("status", json!(s));
    }
    if let Some(a) = c.assignee {
        put("assignee", json!(a));
    }
    if let Some(t) = c.team {
        put("team", json!(t));
    }
    if let Some(p) = c.priority {
        put("priority", json!(p));
    }
    if !c.add_tags.is_empty() {
        put("add_tags", json!(c.add_tags));
    }
    if !c.remove_tags.is_empty() {
        put("remove_tags", json!(c.remove_tags));
    }
    if let Some(s) = c.snoozed_until {
        put("snoozed_until", json!(s));
    }
    if let Some(p) = c.sla_policy {
        put("sla_policy", json!(p));
    }
    if let Some(d) = c.sla_due_at {
        put("sla_due_at", json!(d));
    }
    Decision {
        actor: r.actor,
        change: serde_json::Value::Object(change),
        events: r.extra.iter().map(|e| e.kind).collect(),
    }
}
