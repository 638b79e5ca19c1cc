//! What the timer worker hands the workflow: SLA warnings and breaches, time-based rules'
//! moments, snoozes ending; each one unit of work.

use super::decide::{self, Plan, State};
use super::*;

impl Workflow {
    /// The timer worker found an SLA warning or breach due: recorded (with the SLA part of
    /// the priority: 10 at the warning, 15 once breached), and rules run, in one unit.
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
        let base = self.store.conversation_priority(ws, id).await?;
        let state = self.state(ws).await?;
        let mut s = state.lock().await;
        let mut unit = self.store.begin_batch(ws).await?;
        let done = async {
            let Some(ctx) = unit.contexts(&[id]).await?.pop() else {
                return Ok(());
            };
            let mut change = ConversationChange::default();
            if let Some(base) = &base {
                let adjusted = earshot_core::priority::adjust(
                    base,
                    earshot_core::priority::Context {
                        tier: ctx.contact_tier.as_deref(),
                        value: ctx.contact_value,
                        sla_left: Some(if trigger == Trigger::SlaWarning {
                            0.1
                        } else {
                            -1.0
                        }),
                    },
                );
                if adjusted.score != ctx.conversation.priority {
                    change.priority = Some(adjusted.score);
                    change.priority_detail = Some(adjusted);
                }
            }
            let request = ChangeRequest {
                conversation: id,
                change,
                actor: Actor::System,
                extra: vec![NewEvent::new(kind, json!({"due": due, "target": target}))],
            };
            let changed = unit.change(&[request]).await?.pop().ok_or(not_found(id))?;
            let mut ctx = ctx;
            ctx.conversation = changed.after;
            self.run(&mut s, unit.as_mut(), ctx, trigger).await
        }
        .await;
        self.finish(ws, unit, done).await?;
        self.changes.notify(ws);
        Ok(())
    }

    /// Rules for one event by Earshot on the conversation as `ctx` has it, written in the unit.
    async fn run(
        &self,
        s: &mut State,
        unit: &mut dyn BatchUnit,
        ctx: Context,
        trigger: Trigger,
    ) -> StoreResult<()> {
        let at = self.now();
        let facts = decide::facts_of(&ctx.conversation, &ctx, None, at);
        let mut plan = Plan::default();
        let c = ctx.conversation.clone();
        decide::event(
            s,
            &ctx,
            &c,
            trigger,
            Actor::System,
            facts,
            None,
            at,
            &mut plan,
        );
        let contexts = HashMap::from([(c.id, ctx)]);
        self.write(s, unit, plan, &contexts, at).await
    }

    /// A time-based rule's moment came for a conversation: its rules for that trigger run.
    pub async fn timed(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        trigger: Trigger,
    ) -> StoreResult<()> {
        let state = self.state(ws).await?;
        let mut s = state.lock().await;
        let mut unit = self.store.begin_batch(ws).await?;
        let done = async {
            let Some(ctx) = unit.contexts(&[id]).await?.pop() else {
                return Ok(());
            };
            self.run(&mut s, unit.as_mut(), ctx, trigger).await
        }
        .await;
        self.finish(ws, unit, done).await?;
        self.changes.notify(ws);
        Ok(())
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
