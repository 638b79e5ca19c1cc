//! The timer worker: SLA warnings and breaches, snoozes that end, and the outbox's deliveries.
//! Each pass asks the store for what fell due since the last pass (index range scans on the
//! stored due times) and saves how far it got, so a worker that stops and starts again carries
//! on where it was: nothing due while it was down is lost. A fresh database starts at the
//! worker's first pass. Events are recorded before the cursor moves on: at least once.

use crate::workflow::Workflow;
use earshot_core::rules::Trigger;
use earshot_core::store::StoreResult;
use earshot_core::time::Timestamp;
pub use earshot_core::workflow::Sender;
use earshot_core::workflow::{Delivery, NewEvent, Timer};
use earshot_core::{ConversationId, Store, WorkspaceId};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

pub use earshot_channels::outbound::{signature, Outbound};

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PassReport {
    pub warnings: usize,
    pub breaches: usize,
    pub woken: usize,
    /// Conversations time-based rules (`unanswered`, `idle`) were checked for.
    pub timed: usize,
    pub delivered: usize,
    pub retried: usize,
    /// Replies waiting for their channel (a token the platform refused).
    pub paused: usize,
    /// Replies that could not leave (no connected channel, a closed messaging window).
    pub not_sent: usize,
    pub failed: usize,
    /// Messages deleted because they passed their workspace's retention.
    pub expired: u64,
    /// Satisfaction surveys whose question was queued.
    pub surveys_sent: usize,
    /// Surveys that fell due and will never go (declined, opted out, channel not surveyed).
    pub surveys_not_sent: usize,
    /// Emerging-issue alerts raised (new series' hours).
    pub alerts_raised: usize,
}

pub struct Timers {
    store: Arc<dyn Store>,
    workflow: Arc<Workflow>,
    sender: Arc<dyn Sender>,
    /// When retention last ran and found nothing more due (it scans messages by age, so it
    /// runs every [`RETENTION_EVERY`], or on every pass while a backlog is being deleted).
    retention_done: std::sync::Mutex<Option<Timestamp>>,
    /// When emerging issues were last watched for (every [`EMERGING_EVERY`]).
    emerging_done: std::sync::Mutex<Option<Timestamp>>,
}

/// How often the worker looks for emerging issues in the workspaces that are receiving
/// messages.
pub const EMERGING_EVERY: chrono::Duration = chrono::Duration::minutes(5);

const PAGE: u32 = 1_000;
/// Messages retention deletes per pass (in one transaction per workspace).
pub const RETENTION_BATCH: u32 = 2_000;
/// How often retention looks for expired messages when it has no backlog.
pub const RETENTION_EVERY: chrono::Duration = chrono::Duration::minutes(10);

impl Timers {
    pub fn new(store: Arc<dyn Store>, workflow: Arc<Workflow>, sender: Arc<dyn Sender>) -> Self {
        Self {
            store,
            workflow,
            sender,
            retention_done: std::sync::Mutex::new(None),
            emerging_done: std::sync::Mutex::new(None),
        }
    }

    /// Deletes what passed its workspace's retention, when due (see [`RETENTION_EVERY`]).
    async fn expire(&self, now: Timestamp) -> StoreResult<u64> {
        let due = self
            .retention_done
            .lock()
            .expect("retention clock")
            .is_none_or(|done| now - done >= RETENTION_EVERY);
        if !due {
            return Ok(0);
        }
        let pass = self.store.apply_retention(now, RETENTION_BATCH).await?;
        *self.retention_done.lock().expect("retention clock") = (!pass.more).then_some(now);
        Ok(pass.messages)
    }

    /// Looks for emerging issues in every workspace that received a message in the last two
    /// hours, every [`EMERGING_EVERY`]; alerts are kept and their `spike_detected` rules run.
    async fn watch_emerging(&self, now: Timestamp) -> StoreResult<usize> {
        let due = self
            .emerging_done
            .lock()
            .expect("emerging clock")
            .is_none_or(|done| now - done >= EMERGING_EVERY);
        if !due {
            return Ok(0);
        }
        // Due again in five minutes whatever happens now: a failing watch is not retried on
        // every tick, and one workspace that fails does not keep the others unwatched.
        *self.emerging_done.lock().expect("emerging clock") = Some(now);
        let mut raised = 0;
        for ws in self
            .store
            .workspaces_active_since(now - chrono::Duration::hours(2))
            .await?
        {
            match crate::emerging::raise(self.store.as_ref(), &self.workflow, ws, now).await {
                Ok(n) => raised += n,
                Err(e) => {
                    tracing::error!(workspace = ws.0, error = %e, "emerging-issue watch failed")
                }
            }
        }
        Ok(raised)
    }

    /// Everything due by `now`.
    pub async fn pass(&self, now: Timestamp) -> StoreResult<PassReport> {
        let mut report = PassReport {
            warnings: self.due("sla_warning", now, Kind::Warning).await?,
            breaches: self.due("sla_breach", now, Kind::Breach).await?
                + self.due("resolution", now, Kind::Resolution).await?,
            woken: self.due("snooze", now, Kind::Snooze).await?,
            timed: self.timed(now).await?,
            ..Default::default()
        };
        // Survey questions before the deliveries, so that they leave in this pass.
        self.surveys(now, &mut report).await?;
        self.deliver(now, &mut report).await?;
        // Never in the way of the rest: a failed watch is logged and tried again next time.
        match self.watch_emerging(now).await {
            Ok(n) => report.alerts_raised = n,
            Err(e) => tracing::error!(error = %e, "emerging-issue watch failed"),
        }
        // Last, and never in the way of the rest: a failed retention pass is retried later.
        match self.expire(now).await {
            Ok(n) => report.expired = n,
            Err(e) => tracing::error!(error = %e, "retention pass failed"),
        }
        Ok(report)
    }

    /// The surveys due by `now`: each sent, or not sent with its reason, or left for the
    /// conversation's next resolution.
    async fn surveys(&self, now: Timestamp, report: &mut PassReport) -> StoreResult<()> {
        loop {
            let due = self.store.surveys_due(now, PAGE).await?;
            let full = due.len() == PAGE as usize;
            for d in &due {
                match self.workflow.send_survey(d.workspace_id, &d.survey).await? {
                    crate::workflow::SurveyOutcome::Sent { .. } => report.surveys_sent += 1,
                    crate::workflow::SurveyOutcome::NotSent { .. } => report.surveys_not_sent += 1,
                    _ => {}
                }
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn due(&self, cursor: &str, now: Timestamp, kind: Kind) -> StoreResult<usize> {
        let Some(after) = self.store.timer_cursor(cursor).await? else {
            self.store.set_timer_cursor(cursor, now).await?;
            return Ok(0);
        };
        if after >= now {
            return Ok(0);
        }
        let source = match kind {
            Kind::Breach => Source::SlaDue,
            Kind::Warning => Source::Stored(Timer::SlaWarning),
            Kind::Snooze => Source::Stored(Timer::SnoozeEnd),
            Kind::Resolution => Source::Stored(Timer::ResolutionDue),
        };
        let found = self.scan(source, after, now).await?;
        for &(ws, id, at) in &found {
            self.fire(kind, ws, id, at).await?;
        }
        self.store.set_timer_cursor(cursor, now).await?;
        Ok(found.len())
    }

    /// Everything a source holds in (after, until], paging past rows that share an instant.
    async fn scan(
        &self,
        source: Source,
        mut after: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<(WorkspaceId, ConversationId, Timestamp)>> {
        let mut out = Vec::new();
        let mut seen_at_edge: HashSet<ConversationId> = HashSet::new();
        loop {
            let page = match source {
                Source::SlaDue => self.store.sla_due(after, until, PAGE).await?,
                Source::Stored(timer) => self.store.timers_due(timer, after, until, PAGE).await?,
            };
            let full = page.len() == PAGE as usize;
            out.extend(
                page.iter()
                    .filter(|p| !seen_at_edge.contains(&p.1))
                    .copied(),
            );
            match page.last() {
                Some(&(_, _, last)) if full => {
                    seen_at_edge = page.iter().filter(|p| p.2 == last).map(|p| p.1).collect();
                    after = last - chrono::Duration::milliseconds(1);
                }
                _ => return Ok(out),
            }
        }
    }

    /// Time-based rules: `unanswered` for N minutes fires for conversations whose customer
    /// started waiting N minutes before a moment of (last pass, now]; `idle` the same on the
    /// last message. Only in workspaces with such a rule.
    async fn timed(&self, now: Timestamp) -> StoreResult<usize> {
        let Some(after) = self.store.timer_cursor("timed_rules").await? else {
            self.store.set_timer_cursor("timed_rules", now).await?;
            return Ok(0);
        };
        if after >= now {
            return Ok(0);
        }
        let mut wanted: std::collections::BTreeMap<(bool, u32), Vec<WorkspaceId>> =
            Default::default();
        for ws in self.store.workspaces_with_rules().await? {
            for rule in self.workflow.rules(ws).await?.rules() {
                let key = match rule.trigger {
                    Trigger::Unanswered { minutes } if rule.enabled => (true, minutes),
                    Trigger::Idle { minutes } if rule.enabled => (false, minutes),
                    _ => continue,
                };
                let list = wanted.entry(key).or_default();
                if !list.contains(&ws) {
                    list.push(ws);
                }
            }
        }
        let mut fired = 0;
        for ((unanswered, minutes), workspaces) in wanted {
            let d = chrono::Duration::minutes(i64::from(minutes));
            let timer = if unanswered {
                Timer::WaitingSince
            } else {
                Timer::LastMessage
            };
            let trigger = if unanswered {
                Trigger::Unanswered { minutes }
            } else {
                Trigger::Idle { minutes }
            };
            for (ws, id, _) in self.scan(Source::Stored(timer), after - d, now - d).await? {
                if workspaces.contains(&ws) {
                    self.workflow.timed(ws, id, trigger).await?;
                    fired += 1;
                }
            }
        }
        self.store.set_timer_cursor("timed_rules", now).await?;
        Ok(fired)
    }

    async fn fire(
        &self,
        kind: Kind,
        ws: WorkspaceId,
        id: ConversationId,
        at: Timestamp,
    ) -> StoreResult<()> {
        match kind {
            Kind::Warning => {
                self.workflow
                    .sla_event(ws, id, Trigger::SlaWarning, at, "response")
                    .await
            }
            Kind::Breach => {
                self.workflow
                    .sla_event(ws, id, Trigger::SlaBreach, at, "response")
                    .await
            }
            Kind::Resolution => {
                self.workflow
                    .sla_event(ws, id, Trigger::SlaBreach, at, "resolution")
                    .await
            }
            Kind::Snooze => self.workflow.wake(ws, id).await,
        }
    }

    async fn deliver(&self, now: Timestamp, report: &mut PassReport) -> StoreResult<()> {
        loop {
            let due = self.store.outbox_due(now, PAGE).await?;
            let full = due.len() == PAGE as usize;
            for item in &due {
                let result = self.sender.send(item).await;
                let delivery = Delivery::of(result, item.attempts, now);
                self.store.outbox_result(item.id, &delivery, now).await?;
                let reply = item.kind == "reply";
                let event = match &delivery {
                    Delivery::Sent { platform_id } => {
                        report.delivered += 1;
                        reply.then(|| {
                            NewEvent::new(
                                "reply_sent",
                                json!({"outbox_id": item.id, "message_id": item.message_id, "platform_id": platform_id}),
                            )
                        })
                    }
                    Delivery::Retry { error, at } => {
                        report.retried += 1;
                        reply.then(|| NewEvent::new("reply_retry", json!({"outbox_id": item.id, "error": error, "next_attempt_at": at})))
                    }
                    Delivery::Paused { error, at } => {
                        report.paused += 1;
                        // Said once, when the reply starts waiting, not at every look.
                        (reply && item.last_error.as_deref() != Some(error.as_str())).then(|| {
                            NewEvent::new("reply_waiting", json!({"outbox_id": item.id, "reason": error, "next_attempt_at": at}))
                        })
                    }
                    Delivery::NotSent { reason } => {
                        report.not_sent += 1;
                        Some(NewEvent::new(
                            "reply_not_sent",
                            json!({"outbox_id": item.id, "message_id": item.message_id, "reason": reason}),
                        ))
                    }
                    Delivery::Failed { error } => {
                        report.failed += 1;
                        Some(NewEvent::new(
                            "delivery_failed",
                            json!({"outbox_id": item.id, "kind": item.kind, "error": error}),
                        ))
                    }
                };
                if let (Some(e), Some(c)) = (event, item.conversation_id) {
                    self.store
                        .change_conversation(
                            item.workspace_id,
                            c,
                            &Default::default(),
                            earshot_core::rules::Actor::System,
                            &[e],
                        )
                        .await?;
                    // Open views of the workspace see where the reply is at once: the inbox
                    // its delivery badge, a chat widget the reply itself.
                    self.workflow.changes().notify(item.workspace_id);
                }
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Runs a pass every `every` until `shutdown` resolves; a failed pass is logged and
    /// retried on the next tick. Between ticks, a change in any workspace (a reply stored,
    /// say) sends what the outbox holds at once, so a chat visitor does not wait for the tick;
    /// changes that arrive together are served by one delivery.
    pub async fn run(
        self: Arc<Self>,
        every: std::time::Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut changes = self.workflow.changes().subscribe();
        let mut listening = true;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tick.tick() => {
                    match self.pass(earshot_core::time::now()).await {
                        Ok(r) if r != PassReport::default() => tracing::info!(?r, "timer pass"),
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "timer pass failed"),
                    }
                }
                changed = changes.recv(), if listening => {
                    if matches!(changed, Err(tokio::sync::broadcast::error::RecvError::Closed)) {
                        listening = false;
                        continue;
                    }
                    while changes.try_recv().is_ok() {}
                    let mut report = PassReport::default();
                    if let Err(e) = self.deliver(earshot_core::time::now(), &mut report).await {
                        tracing::error!(error = %e, "outbox delivery failed");
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Source {
    SlaDue,
    Stored(Timer),
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Warning,
    Breach,
    /// A policy's resolution target (recorded as an `sla_breach` with target `resolution`).
    Resolution,
    Snooze,
}
