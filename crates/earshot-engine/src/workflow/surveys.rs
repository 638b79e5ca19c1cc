//! Satisfaction surveys in the workflow (see `earshot_core::survey`): the question sent when
//! its survey falls due (or *not sent, because…*), and a customer's answer read in the unit of
//! the batch that brought it.
//!
//! A bare score ("5") is an answer and nothing more: its conversation goes back to resolved
//! and no rule runs for it (an auto-reply to a "5" would be absurd). An answer with a comment
//! ("2 - the refund took a week") is also a message: it reopens its conversation like any
//! customer message, so a person reads it.

use super::*;
use earshot_core::survey::{parse, Awaiting, Survey, Update};

/// What became of a survey that fell due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurveyOutcome {
    /// The question is stored and queued on the conversation's channel.
    Sent {
        message_id: MessageId,
    },
    NotSent {
        reason: String,
    },
    /// The conversation was reopened: it waits for the next resolution.
    Postponed,
    /// Another process got to it first.
    Skipped,
}

/// A stored customer message of the batch that answers a survey.
pub(crate) struct SurveyAnswer {
    /// Its place in the batch.
    pub index: usize,
    /// Only a score: it decides nothing else.
    pub bare: bool,
}

impl Workflow {
    /// Sends a survey that fell due, or says why not.
    pub async fn send_survey(
        &self,
        ws: WorkspaceId,
        survey: &Survey,
    ) -> StoreResult<SurveyOutcome> {
        let update = match self.survey_decision(ws, survey).await? {
            Ok(question) => return self.ask(ws, survey, question).await,
            Err(update) => update,
        };
        if !self.store.update_survey(ws, survey.id, &update).await? {
            return Ok(SurveyOutcome::Skipped);
        }
        Ok(match update {
            Update::NotSent { reason } => SurveyOutcome::NotSent { reason },
            _ => SurveyOutcome::Postponed,
        })
    }

    /// The question to ask now, or the update saying why the survey does not go now
    /// (`NotSent` with its reason, or `Postponed`).
    async fn survey_decision(
        &self,
        ws: WorkspaceId,
        survey: &Survey,
    ) -> StoreResult<Result<String, Update>> {
        let not_sent = |reason: &str| {
            Ok(Err(Update::NotSent {
                reason: reason.to_string(),
            }))
        };
        let Some(settings) = self.store.survey_settings(ws).await? else {
            return not_sent("surveys were turned off");
        };
        let Some(ctx) = self
            .store
            .workflow_context(ws, &[survey.conversation_id])
            .await?
            .pop()
        else {
            return not_sent("the conversation no longer exists");
        };
        let c = &ctx.conversation;
        if c.status != ConversationStatus::Resolved {
            return Ok(Err(Update::Postponed));
        }
        if !settings.covers(c.channel_kind) {
            return not_sent(&format!("surveys are not sent on {}", c.channel_kind));
        }
        if ctx.opted_out {
            return not_sent("the customer opted out of engagement");
        }
        let ledger = self.store.consent_ledger(ws, survey.contact_id).await?;
        let surveys = earshot_core::preferences::current(&ledger, Some(c.channel_kind))
            .into_iter()
            .find(|p| p.purpose == "surveys");
        if surveys.is_some_and(|p| !p.granted) {
            return not_sent("the customer declined surveys");
        }
        Ok(Ok(settings.question))
    }

    /// Stores the question as an automated outbound message of the conversation, queues it,
    /// and marks the survey sent, in one unit.
    async fn ask(
        &self,
        ws: WorkspaceId,
        survey: &Survey,
        text: String,
    ) -> StoreResult<SurveyOutcome> {
        let id = survey.conversation_id;
        let messages = self.store.conversation_messages(ws, id).await?;
        let last_in = messages.iter().rev().find(|m| m.direction == Direction::In);
        let mut unit = self.store.begin_batch(ws).await?;
        let ctx = unit.contexts(&[id]).await?.pop().ok_or(not_found(id))?;
        let at = self.now();
        let question = replies::outbound(
            &ctx,
            text,
            last_in.map(|m| (m.external_id.as_str(), m.visibility)),
            at,
            replies::reply_id(id, at, 0),
            true,
        );
        let outcomes = unit
            .ingest(std::slice::from_ref(&question), &[Annotations::default()])
            .await?;
        let Some(IngestOutcome::Stored { message_id, .. }) = outcomes.first().copied() else {
            return Err(StoreError::Invalid(format!(
                "the survey question was not stored: {outcomes:?}"
            )));
        };
        let ids = unit
            .enqueue(&[replies::delivery(&question, id, message_id)])
            .await?;
        if !unit
            .update_survey(survey.id, &Update::Sent { message_id, at })
            .await?
        {
            return Ok(SurveyOutcome::Skipped); // dropped: rolled back
        }
        unit.change(&[ChangeRequest {
            conversation: id,
            change: ConversationChange::default(),
            actor: Actor::System,
            extra: vec![NewEvent::new(
                "survey_sent",
                json!({"survey_id": survey.id, "scale": survey.scale, "message_id": message_id,
                       "outbox_id": ids[0]}),
            )],
        }])
        .await?;
        unit.commit().await?;
        self.changes.notify(ws);
        Ok(SurveyOutcome::Sent { message_id })
    }

    /// Reads the answers among a stored batch's customer messages and records them in the
    /// unit: the survey answered, a `survey_answered` event on its conversation, and a bare
    /// score's conversation resolved again. Returns the answers, for the decide stage to
    /// leave bare scores alone.
    pub(crate) async fn survey_answers(
        &self,
        unit: &mut dyn BatchUnit,
        batch: &[Inbound],
        annotations: &[Annotations],
        outcomes: &[IngestOutcome],
    ) -> StoreResult<Vec<SurveyAnswer>> {
        let candidates: Vec<(usize, MessageId, ConversationId)> = outcomes
            .iter()
            .zip(batch)
            .enumerate()
            .filter_map(|(i, (o, m))| match o {
                IngestOutcome::Stored {
                    message_id,
                    conversation_id,
                    ..
                } if m.direction == Direction::In => Some((i, *message_id, *conversation_id)),
                _ => None,
            })
            .collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<ConversationId> = candidates.iter().map(|c| c.2).collect();
        ids.sort_unstable();
        ids.dedup();
        let at = self.now();
        let awaiting = unit.surveys_awaiting(&ids, at).await?;
        if awaiting.is_empty() {
            return Ok(Vec::new());
        }
        // The newest survey each conversation's customer was asked.
        let mut newest: HashMap<ConversationId, Awaiting> = HashMap::new();
        for a in awaiting {
            match newest.get(&a.reply_conversation) {
                Some(b) if b.survey_id >= a.survey_id => {}
                _ => {
                    newest.insert(a.reply_conversation, a);
                }
            }
        }
        let mut answers = Vec::new();
        let mut changes = Vec::new();
        for (i, message_id, conversation) in candidates {
            let Some(survey) = newest.get(&conversation) else {
                continue;
            };
            let Some(answer) = parse(survey.scale, &batch[i].text) else {
                continue;
            };
            let bare = answer.comment.is_none();
            let sentiment = if bare {
                None
            } else {
                annotations[i]
                    .enrichment
                    .as_ref()
                    .map(|e| e.sentiment.label.clone())
            };
            let update = Update::Answered {
                answer: answer.clone(),
                message_id,
                sentiment: sentiment.clone(),
                at,
            };
            if !unit.update_survey(survey.survey_id, &update).await? {
                continue; // answered already (by an earlier message of this batch)
            }
            changes.push(ChangeRequest {
                conversation: survey.conversation_id,
                change: ConversationChange::default(),
                actor: Actor::Customer,
                extra: vec![NewEvent::new(
                    "survey_answered",
                    json!({"survey_id": survey.survey_id, "scale": survey.scale,
                           "score": answer.score, "comment": answer.comment,
                           "sentiment": sentiment, "message_id": message_id}),
                )],
            });
            if bare {
                // Nobody needs to answer a score: its conversation stays (or goes back to)
                // resolved, with nothing left due.
                changes.push(ChangeRequest {
                    conversation,
                    change: ConversationChange {
                        status: Some(ConversationStatus::Resolved),
                        sla_due_at: Some(None),
                        sla_warn_at: Some(None),
                        ..Default::default()
                    },
                    actor: Actor::System,
                    extra: Vec::new(),
                });
            }
            answers.push(SurveyAnswer { index: i, bare });
        }
        if !changes.is_empty() {
            unit.change(&changes).await?;
        }
        Ok(answers)
    }
}
