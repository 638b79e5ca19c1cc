//! Agents' actions on a conversation, each one unit of work: a change (status, assignee,
//! team, tags, snooze; the SLA clock paused or resumed with it) with what the desk and the
//! rules make of it, and a reply (refused when someone else answered since the agent last
//! looked).

use super::decide::{self, Plan, State};
use super::*;

impl Workflow {
    /// The desk follows a change, and for a change not made by a rule, the rules for what
    /// changed run (their writes join `plan`).
    async fn follow(
        &self,
        s: &mut State,
        unit: &mut dyn BatchUnit,
        changed: &Changed,
        actor: Actor,
        plan: &mut Plan,
        contexts: &mut HashMap<ConversationId, Context>,
    ) -> StoreResult<()> {
        let at = self.now();
        plan.changes.extend(
            decide::follow_desk(s, changed, at)
                .iter()
                .map(decide::assignment_request),
        );
        if matches!(actor, Actor::Rule(_)) || s.rules.is_empty() {
            return Ok(()); // the loop guard: a rule's effects run no rules
        }
        let triggers = decide::triggers_of(changed);
        if triggers.is_empty() {
            return Ok(());
        }
        let id = changed.after.id;
        let Some(ctx) = unit.contexts(&[id]).await?.pop() else {
            return Ok(());
        };
        let mut before = decide::facts_of(&changed.before, &ctx, None, at);
        before.set(
            Field::ConversationStatus,
            Value::text(changed.before.status.as_str()),
        );
        for trigger in triggers {
            let mut facts = decide::facts_of(&ctx.conversation, &ctx, None, at);
            plan.overlay(id, &mut facts);
            let facts = facts.with_before(&before);
            let c = ctx.conversation.clone();
            decide::event(s, &ctx, &c, trigger, actor, facts, None, at, plan);
        }
        contexts.insert(id, ctx);
        Ok(())
    }

    /// An agent's (or the API's) change, with what the desk and the rules make of it, in one
    /// unit. Going pending or snoozed pauses the SLA clock; coming back resumes it.
    pub async fn change(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        change: ConversationChange,
        actor: Actor,
        extra: &[NewEvent],
    ) -> StoreResult<Changed> {
        // Bounded before any lock or transaction is taken.
        change
            .check_tags()
            .map_err(earshot_core::store::StoreError::Invalid)?;
        let state = self.state(ws).await?;
        let mut s = state.lock().await;
        let mut unit = self.store.begin_batch(ws).await?;
        let done = self
            .change_in(&mut s, unit.as_mut(), id, change, actor, extra)
            .await;
        let changed = self.finish(ws, unit, done).await?;
        self.changes.notify(ws);
        Ok(changed)
    }

    async fn change_in(
        &self,
        s: &mut State,
        unit: &mut dyn BatchUnit,
        id: ConversationId,
        mut change: ConversationChange,
        actor: Actor,
        extra: &[NewEvent],
    ) -> StoreResult<Changed> {
        let ctx = unit.contexts(&[id]).await?.pop().ok_or(not_found(id))?;
        let c = &ctx.conversation;
        let at = self.now();
        let paused = matches!(
            c.status,
            ConversationStatus::Pending | ConversationStatus::Snoozed
        );
        let policy = s.policy(ctx.sla_policy, c.priority);
        match change.status {
            Some(ConversationStatus::Pending | ConversationStatus::Snoozed) if !paused => {
                decide::pause(&policy, c, at, &mut change)
            }
            Some(status)
                if paused
                    && !matches!(
                        status,
                        ConversationStatus::Pending | ConversationStatus::Snoozed
                    ) =>
            {
                decide::resume(&policy, &ctx, at, &mut change);
                if c.status == ConversationStatus::Snoozed {
                    change.snoozed_until = Some(None);
                }
            }
            _ => {}
        }
        let request = ChangeRequest {
            conversation: id,
            change,
            actor,
            extra: extra.to_vec(),
        };
        let changed = unit.change(&[request]).await?.pop().ok_or(not_found(id))?;
        let mut plan = Plan::default();
        let mut contexts = HashMap::from([(id, ctx)]);
        self.follow(s, unit, &changed, actor, &mut plan, &mut contexts)
            .await?;
        self.write(s, unit, plan, &contexts, at).await?;
        Ok(changed)
    }

    /// An agent's reply: refused when someone answered after `last_seen` (unless `force`);
    /// stored as an outbound message on the conversation's channel (so first/next response
    /// times and the SLA see it) and queued in the outbox for the channel's sender, in one
    /// unit.
    pub async fn reply(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        agent: AgentId,
        draft: ReplyDraft<'_>,
    ) -> Result<Replied, ActionError> {
        let ReplyDraft {
            text,
            template,
            last_seen,
            force,
        } = draft;
        let described;
        let text = match template {
            Some(t) if t.name.trim().is_empty() || t.language.trim().is_empty() => {
                return Err(ActionError::Invalid(
                    "`template`: `name` and `language` must not be empty".into(),
                ))
            }
            Some(t) if text.trim().is_empty() => {
                described = t.describe();
                described.as_str()
            }
            _ => text.trim(),
        };
        if text.is_empty() {
            return Err(ActionError::Invalid("`text` must not be empty".into()));
        }
        if text.len() > earshot_core::inbound::MAX_TEXT_BYTES {
            return Err(ActionError::Invalid(format!(
                "`text` is {} bytes; a reply holds at most {} (64 KiB), as a customer's message does",
                text.len(),
                earshot_core::inbound::MAX_TEXT_BYTES
            )));
        }
        let messages = self.store.conversation_messages(ws, id).await?;
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
        let last_in = messages.iter().rev().find(|m| m.direction == Direction::In);
        let mut unit = self.store.begin_batch(ws).await?;
        let done = async {
            let ctx = unit.contexts(&[id]).await?.pop().ok_or(not_found(id))?;
            let before = ctx.conversation.clone();
            let at = self.now();
            let mut reply = replies::outbound(
                &ctx,
                text.to_string(),
                last_in.map(|m| (m.external_id.as_str(), m.visibility)),
                at,
                replies::reply_id(id, at, 0),
                false,
            );
            if let Some(t) = template {
                reply.raw = Some(json!({"template": t}));
            }
            let outcomes = unit
                .ingest(std::slice::from_ref(&reply), &[Annotations::default()])
                .await?;
            let message_id = match outcomes.first() {
                Some(IngestOutcome::Stored { message_id, .. }) => *message_id,
                other => {
                    return Err(ActionError::Invalid(format!(
                        "the reply was not stored: {other:?}"
                    )));
                }
            };
            let ids = unit
                .enqueue(&[replies::delivery(&reply, id, message_id)])
                .await?;
            // How long the customer had waited for this reply, and whether it is the first
            // response: what agents' response times are measured from.
            let waited = before
                .waiting_since
                .map(|w| (at - w).num_seconds().max(0));
            let mut extra = vec![NewEvent::new(
                "reply_queued",
                json!({"message_id": message_id, "outbox_id": ids[0],
                       "waited_seconds": waited, "first": before.first_response_at.is_none()}),
            )];
            if let (Some(due), Some(_)) = (before.sla_due_at, before.waiting_since) {
                extra.push(NewEvent::new(
                    "sla_answered",
                    json!({"target": if before.first_response_at.is_some() { "next_response" } else { "first_response" },
                           "due": due, "answered_at": at, "met": at <= due}),
                ));
            }
            let request = ChangeRequest {
                conversation: id,
                change: ConversationChange::default(),
                actor: Actor::Agent(agent),
                extra,
            };
            let changed = unit.change(&[request]).await?.pop().ok_or(not_found(id))?;
            Ok(Replied {
                message_id,
                outbox_id: ids[0],
                conversation: changed.after,
            })
        }
        .await;
        match done {
            Ok(replied) => {
                unit.commit().await?;
                self.changes.notify(ws);
                Ok(replied)
            }
            Err(e) => Err(e),
        }
    }
}

/// What an agent's reply says, and what they last saw.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplyDraft<'a> {
    /// The text (may be empty when a template is sent: the inbox shows the template).
    pub text: &'a str,
    /// An approved WhatsApp template, for outside the customer-service window.
    pub template: Option<&'a earshot_core::connector::Template>,
    /// The newest message the agent saw: a reply by someone else after it refuses this one.
    pub last_seen: Option<MessageId>,
    /// Send anyway.
    pub force: bool,
}
