//! Satisfaction surveys (`survey_settings`, `surveys`): made in the transaction of the change
//! that first resolves a conversation ([`schedule_resolved`]), sent by the timer worker,
//! answered through ingest's unit.

use super::*;

use earshot_core::store::{DueSurvey, SurveyCount};
use earshot_core::survey::{Awaiting, Scale, Settings, State, Survey, Update};
use earshot_core::time::{from_millis, Timestamp};

const COLUMNS: &str = "id, conversation_id, contact_id, channel_id, scale, state, due_at, agent_id, team_id, \
     reason, message_id, sent_at, score, comment, sentiment, answer_message_id, answered_at, created_at, workspace_id, \
     (SELECT o.status FROM outbox o WHERE o.workspace_id = surveys.workspace_id AND o.conversation_id = surveys.conversation_id \
      AND o.message_id = surveys.message_id ORDER BY o.id DESC LIMIT 1)";

/// The question's delivery state, for counts.
const DELIVERY: &str = "(SELECT o.status FROM outbox o WHERE o.workspace_id = surveys.workspace_id \
     AND o.conversation_id = surveys.conversation_id AND o.message_id = surveys.message_id ORDER BY o.id DESC LIMIT 1)";

fn parse<T: std::str::FromStr>(what: &str, v: String) -> StoreResult<T> {
    v.parse().map_err(|_| crate::corrupt(what, &v))
}

fn survey_row(r: &DbRow) -> StoreResult<(WorkspaceId, Survey)> {
    let at = |i: usize| opt_time(r, i);
    let survey = Survey {
        id: r.try_get(0).map_err(db_err)?,
        conversation_id: ConversationId(r.try_get(1).map_err(db_err)?),
        contact_id: ContactId(r.try_get(2).map_err(db_err)?),
        channel_id: ChannelId(r.try_get(3).map_err(db_err)?),
        scale: parse("survey scale", r.try_get(4).map_err(db_err)?)?,
        state: parse("survey state", r.try_get(5).map_err(db_err)?)?,
        due_at: at(6)?,
        agent_id: r.try_get::<Option<i64>, _>(7).map_err(db_err)?.map(AgentId),
        team_id: r.try_get::<Option<i64>, _>(8).map_err(db_err)?.map(TeamId),
        reason: r.try_get(9).map_err(db_err)?,
        message_id: r
            .try_get::<Option<i64>, _>(10)
            .map_err(db_err)?
            .map(MessageId),
        delivery: r.try_get(19).map_err(db_err)?,
        sent_at: at(11)?,
        score: r.try_get(12).map_err(db_err)?,
        comment: r.try_get(13).map_err(db_err)?,
        sentiment: r.try_get(14).map_err(db_err)?,
        answer_message_id: r
            .try_get::<Option<i64>, _>(15)
            .map_err(db_err)?
            .map(MessageId),
        answered_at: at(16)?,
        created_at: from_millis(r.try_get(17).map_err(db_err)?),
    };
    Ok((WorkspaceId(r.try_get(18).map_err(db_err)?), survey))
}

/// Makes the survey of each conversation `resolved` names (those a change just resolved, with
/// the agent who resolved it) in a workspace that sends surveys, due after its delay; one that
/// exists already and was not sent is only due again (after a reopening), so none is ever
/// made twice. The survey is the assignee's, or the resolving agent's when nobody was assigned.
pub(crate) async fn schedule_resolved(
    tx: &mut Tx<'_>,
    ws: WorkspaceId,
    resolved_by: &[(i64, Option<i64>)],
    at: i64,
) -> StoreResult<()> {
    if resolved_by.is_empty() {
        return Ok(());
    }
    let resolved: Vec<i64> = resolved_by.iter().map(|r| r.0).collect();
    let resolved = resolved.as_slice();
    let mut sql = crate::queries::Sql::new(
        "INSERT INTO surveys (workspace_id, conversation_id, contact_id, channel_id, scale, state, due_at, \
         agent_id, team_id, created_at) \
         SELECT c.workspace_id, c.id, c.contact_id, c.channel_id, s.scale, 'scheduled', ",
    );
    sql.bind(Bind::I64(at))
        .push(" + s.delay_minutes * 60000, c.assignee_id, c.team_id, ")
        .bind(Bind::I64(at))
        .push(
            " FROM conversations c JOIN survey_settings s ON s.workspace_id = c.workspace_id \
             WHERE +c.workspace_id = ",
        )
        .bind(Bind::I64(ws.0))
        .push(" AND c.id IN ");
    id_list(&mut sql, resolved);
    // A conversation that holds a survey's answer (a customer who answered in a new one) is
    // not surveyed itself.
    sql.push(
        " AND NOT EXISTS (SELECT 1 FROM surveys a WHERE a.contact_id = c.contact_id AND a.state = 'answered' \
         AND a.answer_message_id IN (SELECT m.id FROM messages m WHERE m.conversation_id = c.id))",
    );
    sql.push(
        " ON CONFLICT (conversation_id) DO UPDATE SET due_at = excluded.due_at, \
         agent_id = excluded.agent_id, team_id = excluded.team_id WHERE surveys.state = 'scheduled'",
    );
    bind_all(sqlx::query(&sql.text), &sql.binds)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    for (c, agent) in resolved_by {
        if let Some(agent) = agent {
            sqlx::query(
                "UPDATE surveys SET agent_id = $1 WHERE workspace_id = $2 AND conversation_id = $3 \
                 AND agent_id IS NULL AND state = 'scheduled'",
            )
            .bind(agent)
            .bind(ws.0)
            .bind(c)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        }
    }
    Ok(())
}

/// [`earshot_core::store::BatchUnit::surveys_awaiting`].
pub(crate) async fn surveys_awaiting_in(
    tx: &mut Tx<'_>,
    ws: WorkspaceId,
    conversations: &[ConversationId],
    now: Timestamp,
) -> StoreResult<Vec<Awaiting>> {
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    // Most batches come to a workspace with no question waiting: one probe of the index of
    // sent surveys, before any join over the batch's conversations.
    let since = to_millis(now) - earshot_core::survey::ANSWER_DAYS * 86_400_000;
    let waiting: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM surveys WHERE workspace_id = $1 AND state = 'sent' AND sent_at >= $2 LIMIT 1",
    )
    .bind(ws.0)
    .bind(since)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    if waiting.is_none() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = conversations.iter().map(|c| c.0).collect();
    let mut sql = crate::queries::Sql::new(
        "SELECT s.id, s.conversation_id, s.scale, c.id FROM conversations c \
         JOIN surveys s ON s.contact_id = c.contact_id AND s.channel_id = c.channel_id AND s.state = 'sent' \
         WHERE +c.workspace_id = ",
    );
    // (`+`: SQLite reads the batch's conversations by id, not the workspace's by an index.)
    sql.bind(Bind::I64(ws.0))
        .push(" AND s.workspace_id = ")
        .bind(Bind::I64(ws.0))
        .push(" AND s.sent_at >= ")
        .bind(Bind::I64(since))
        .push(" AND c.id >= s.conversation_id AND c.id IN ");
    id_list(&mut sql, &ids);
    sql.push(" ORDER BY s.id");
    let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(Awaiting {
                survey_id: r.try_get(0).map_err(db_err)?,
                conversation_id: ConversationId(r.try_get(1).map_err(db_err)?),
                scale: parse::<Scale>("survey scale", r.try_get(2).map_err(db_err)?)?,
                reply_conversation: ConversationId(r.try_get(3).map_err(db_err)?),
            })
        })
        .collect()
}

/// [`earshot_core::store::SurveyStore::update_survey`] on any executor.
pub(crate) async fn update_survey_on<'e, E>(
    e: E,
    ws: WorkspaceId,
    id: i64,
    update: &Update,
) -> StoreResult<bool>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let mut sql = crate::queries::Sql::new("UPDATE surveys SET ");
    let from = match update {
        Update::Sent { message_id, at } => {
            sql.push("state = 'sent', message_id = ")
                .bind(Bind::I64(message_id.0))
                .push(", sent_at = ")
                .bind(Bind::I64(to_millis(*at)));
            "scheduled"
        }
        Update::NotSent { reason } => {
            sql.push("state = 'not_sent', reason = ")
                .bind(Bind::Text(reason.clone()));
            "scheduled"
        }
        Update::Postponed => {
            sql.push("due_at = NULL");
            "scheduled"
        }
        Update::Answered {
            answer,
            message_id,
            sentiment,
            at,
        } => {
            sql.push("state = 'answered', score = ")
                .bind(Bind::I32(answer.score))
                .push(", comment = ")
                .bind(Bind::OptText(answer.comment.clone()))
                .push(", sentiment = ")
                .bind(Bind::OptText(sentiment.clone()))
                .push(", answer_message_id = ")
                .bind(Bind::I64(message_id.0))
                .push(", answered_at = ")
                .bind(Bind::I64(to_millis(*at)));
            "sent"
        }
    };
    sql.push(" WHERE workspace_id = ")
        .bind(Bind::I64(ws.0))
        .push(" AND id = ")
        .bind(Bind::I64(id))
        .push(&format!(" AND state = '{from}'"));
    let done = bind_all(sqlx::query(&sql.text), &sql.binds)
        .execute(e)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected() == 1)
}

#[async_trait::async_trait]
impl earshot_core::store::SurveyStore for Backend {
    async fn survey_settings(&self, ws: WorkspaceId) -> StoreResult<Option<Settings>> {
        let row: Option<(String, i32, String, String)> = sqlx::query_as(
            "SELECT scale, delay_minutes, channels, question FROM survey_settings WHERE workspace_id = $1",
        )
        .bind(ws.0)
        .fetch_optional(self.reader())
        .await
        .map_err(db_err)?;
        row.map(|(scale, delay, channels, question)| {
            Ok(Settings {
                scale: parse("survey scale", scale)?,
                delay_minutes: u32::try_from(delay)
                    .map_err(|_| crate::corrupt("survey delay", &delay.to_string()))?,
                channels: serde_json::from_str(&channels)
                    .map_err(|_| crate::corrupt("survey channels", &channels))?,
                question,
            })
        })
        .transpose()
    }

    async fn set_survey_settings(
        &self,
        ws: WorkspaceId,
        settings: Option<&Settings>,
    ) -> StoreResult<()> {
        let mut tx = self.writer().begin().await.map_err(db_err)?;
        match settings {
            Some(s) => {
                s.check().map_err(StoreError::Invalid)?;
                sqlx::query(
                    "INSERT INTO survey_settings (workspace_id, scale, delay_minutes, channels, question, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id) DO UPDATE SET scale = excluded.scale, \
                     delay_minutes = excluded.delay_minutes, channels = excluded.channels, \
                     question = excluded.question, updated_at = excluded.updated_at",
                )
                .bind(ws.0)
                .bind(s.scale.as_str())
                .bind(i32::try_from(s.delay_minutes).unwrap_or(i32::MAX))
                .bind(serde_json::to_string(&s.channels).expect("channel kinds serialize"))
                .bind(s.question.trim())
                .bind(to_millis(now()))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            None => {
                sqlx::query("DELETE FROM survey_settings WHERE workspace_id = $1")
                    .bind(ws.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                sqlx::query(
                    "UPDATE surveys SET state = 'not_sent', reason = 'surveys were turned off' \
                     WHERE workspace_id = $1 AND state = 'scheduled'",
                )
                .bind(ws.0)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
        }
        tx.commit().await.map_err(db_err)
    }

    async fn surveys_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<DueSurvey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM surveys WHERE state = 'scheduled' AND due_at IS NOT NULL AND due_at <= $1 \
             ORDER BY due_at, id LIMIT $2"
        ))
        .bind(to_millis(now))
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let (workspace_id, survey) = survey_row(r)?;
                Ok(DueSurvey {
                    workspace_id,
                    survey,
                })
            })
            .collect()
    }

    async fn update_survey(&self, ws: WorkspaceId, id: i64, update: &Update) -> StoreResult<bool> {
        update_survey_on(self.writer(), ws, id, update).await
    }

    async fn list_surveys(
        &self,
        ws: WorkspaceId,
        state: Option<State>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Survey>> {
        let mut sql = crate::queries::Sql::new(&format!(
            "SELECT {COLUMNS} FROM surveys WHERE workspace_id = "
        ));
        sql.bind(Bind::I64(ws.0));
        if let Some(s) = state {
            sql.push(" AND state = ")
                .bind(Bind::Text(s.as_str().to_string()));
        }
        if let Some(b) = before {
            sql.push(" AND id < ").bind(Bind::I64(b));
        }
        sql.push(" ORDER BY id DESC LIMIT ")
            .bind(Bind::I64(i64::from(limit.clamp(1, 500))));
        let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(self.reader())
            .await
            .map_err(db_err)?;
        rows.iter().map(|r| Ok(survey_row(r)?.1)).collect()
    }

    async fn conversation_survey(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Option<Survey>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM surveys WHERE workspace_id = $1 AND conversation_id = $2"
        ))
        .bind(ws.0)
        .bind(conversation.0)
        .fetch_optional(self.reader())
        .await
        .map_err(db_err)?;
        row.map(|r| Ok(survey_row(&r)?.1)).transpose()
    }

    async fn survey_counts(
        &self,
        ws: WorkspaceId,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<SurveyCount>> {
        type Row = (
            i64,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            String,
            Option<String>,
            Option<i32>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT day, scale, channel_id, team_id, agent_id, state, delivery, score, COUNT(*) FROM \
             (SELECT created_at / 86400000 AS day, scale, channel_id, team_id, agent_id, state, {DELIVERY} AS delivery, score \
              FROM surveys WHERE workspace_id = $1 AND created_at >= $2 AND created_at < $3) s \
             GROUP BY day, scale, channel_id, team_id, agent_id, state, delivery, score"
        ))
            .bind(ws.0)
            .bind(to_millis(from))
            .bind(to_millis(until))
            .fetch_all(self.reader())
            .await
            .map_err(db_err)?;
        rows.into_iter()
            .map(
                |(day, scale, channel, team, agent, state, delivery, score, count)| {
                    Ok(SurveyCount {
                        day,
                        scale: parse("survey scale", scale)?,
                        channel_id: ChannelId(channel),
                        team_id: team.map(TeamId),
                        agent_id: agent.map(AgentId),
                        state: parse("survey state", state)?,
                        delivery,
                        score,
                        count,
                    })
                },
            )
            .collect()
    }

    async fn survey_topic_counts(
        &self,
        ws: WorkspaceId,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<earshot_core::store::SurveyTopicCount>> {
        type Row = (i64, String, String, Option<String>, Option<i32>, i64);
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT topic_id, scale, state, delivery, score, COUNT(*) FROM \
             (SELECT DISTINCT surveys.id, mt.topic_id, surveys.scale, surveys.state, {DELIVERY} AS delivery, surveys.score \
              FROM surveys JOIN messages m ON m.conversation_id = surveys.conversation_id \
              JOIN message_topics mt ON mt.message_id = m.id \
              WHERE surveys.workspace_id = $1 AND surveys.created_at >= $2 AND surveys.created_at < $3) s \
             GROUP BY topic_id, scale, state, delivery, score"
        ))
        .bind(ws.0)
        .bind(to_millis(from))
        .bind(to_millis(until))
        .fetch_all(self.reader())
        .await
        .map_err(db_err)?;
        rows.into_iter()
            .map(|(topic, scale, state, delivery, score, count)| {
                Ok(earshot_core::store::SurveyTopicCount {
                    topic_id: TopicId(topic),
                    scale: parse("survey scale", scale)?,
                    state: parse("survey state", state)?,
                    delivery,
                    score,
                    count,
                })
            })
            .collect()
    }
}
