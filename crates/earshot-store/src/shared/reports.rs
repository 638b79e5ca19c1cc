//! The inbox's and dashboard's read models.

use super::*;

use earshot_core::report::{BacklogRow, DashboardCounts, VolumeRow};
use earshot_core::store::InboxDetail;

pub(crate) async fn list_users(
    pool: &Pool,
    ws: WorkspaceId,
) -> StoreResult<Vec<earshot_core::auth::User>> {
    let rows = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.workspace_id = $1 ORDER BY u.id"
    ))
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    Ok(rows.into_iter().map(|r| user_row(r).0).collect())
}

pub(crate) async fn inbox_details(
    pool: &Pool,
    ws: WorkspaceId,
    ids: &[ConversationId],
) -> StoreResult<Vec<InboxDetail>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = crate::queries::Sql::new(
        "SELECT c.id, ct.display_name, \
         (SELECT COALESCE(i.handle, i.external_id) FROM identities i WHERE i.contact_id = c.contact_id \
          ORDER BY CASE WHEN i.handle IS NULL THEN 1 ELSE 0 END, i.id LIMIT 1), \
         (SELECT m.text FROM messages m WHERE m.conversation_id = c.id ORDER BY m.sent_at, m.id LIMIT 1), \
         c.sentiment, c.intents \
         FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE +c.workspace_id = ",
    );
    sql.bind(Bind::I64(ws.0));
    sql.push(" AND c.id IN ");
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    id_list(&mut sql, &ids);
    let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let name: Option<String> = r.try_get(1).map_err(db_err)?;
            let handle: Option<String> = r.try_get(2).map_err(db_err)?;
            let text: Option<String> = r.try_get(3).map_err(db_err)?;
            let intents: Option<String> = r.try_get(5).map_err(db_err)?;
            let intents: Vec<String> = match intents {
                Some(j) => serde_json::from_str(&j).map_err(|_| crate::corrupt("intents", &j))?,
                None => Vec::new(),
            };
            Ok(InboxDetail {
                id: ConversationId(r.try_get(0).map_err(db_err)?),
                customer: name
                    .filter(|n| !n.trim().is_empty())
                    .or(handle.map(|h| format!("@{h}"))),
                first_words: text.unwrap_or_default().chars().take(120).collect(),
                sentiment: r.try_get(4).map_err(db_err)?,
                intents,
            })
        })
        .collect()
}

pub(crate) async fn list_saved_replies(
    pool: &Pool,
    ws: WorkspaceId,
) -> StoreResult<Vec<store::SavedReply>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name, text FROM saved_replies WHERE workspace_id = $1 ORDER BY name, id",
    )
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, text)| store::SavedReply { id, name, text })
        .collect())
}

pub(crate) async fn create_saved_reply(
    pool: &Pool,
    ws: WorkspaceId,
    name: &str,
    text: &str,
) -> StoreResult<store::SavedReply> {
    let (name, text) = (name.trim(), text.trim());
    if name.is_empty() || name.chars().count() > 100 {
        return Err(store::StoreError::Invalid(
            "a saved reply's name has 1 to 100 characters".into(),
        ));
    }
    if text.is_empty() || text.chars().count() > 5000 {
        return Err(store::StoreError::Invalid(
            "a saved reply's text has 1 to 5000 characters".into(),
        ));
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO saved_replies (workspace_id, name, text, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(ws.0)
    .bind(name)
    .bind(text)
    .bind(to_millis(now()))
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(store::SavedReply {
        id,
        name: name.to_string(),
        text: text.to_string(),
    })
}

pub(crate) async fn delete_saved_reply(pool: &Pool, ws: WorkspaceId, id: i64) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM saved_replies WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(store::StoreError::NotFound {
            what: "saved reply",
            id,
        });
    }
    Ok(())
}

pub(crate) async fn last_activity(
    pool: &Pool,
    ws: WorkspaceId,
) -> StoreResult<Option<earshot_core::time::Timestamp>> {
    // The newest day through the day index, then the newest moment of that day.
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(first_message_at) FROM conversations WHERE workspace_id = $1 AND first_message_at / 86400000 = \
         (SELECT first_message_at / 86400000 FROM conversations WHERE workspace_id = $1 \
          ORDER BY first_message_at / 86400000 DESC LIMIT 1)",
    )
    .bind(ws.0)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(at.map(earshot_core::time::from_millis))
}

pub(crate) async fn dashboard_counts(
    pool: &Pool,
    ws: WorkspaceId,
    from: earshot_core::time::Timestamp,
    until: earshot_core::time::Timestamp,
) -> StoreResult<DashboardCounts> {
    let (from, until) = (to_millis(from), to_millis(until));
    // Whole UTC days for the volume (the expression index is on the day).
    let (first_day, end_day) = (
        from.div_euclid(86_400_000),
        (until + 86_399_999).div_euclid(86_400_000),
    );
    // Five independent reads, run side by side on the reader pool.
    let volume = sqlx::query_as::<_, (i64, i64, Option<String>, i64)>(
        "SELECT first_message_at / 86400000, channel_id, sentiment, COUNT(*) FROM conversations \
         WHERE workspace_id = $1 AND first_message_at / 86400000 >= $2 AND first_message_at / 86400000 < $3 \
         GROUP BY 1, 2, 3",
    )
    .bind(ws.0)
    .bind(first_day)
    .bind(end_day)
    .fetch_all(pool);
    let first_responses_sql = format!(
        "SELECT (first_response_at - first_message_at) / 60000, COUNT(*) {} \
         WHERE workspace_id = $1 AND first_response_at >= $2 AND first_response_at < $3 GROUP BY 1",
        FIRST_RESPONSES_FROM
    );
    let first_responses = sqlx::query_as::<_, (i64, i64)>(&first_responses_sql)
        .bind(ws.0)
        .bind(from)
        .bind(until)
        .fetch_all(pool);
    let sla = sqlx::query_as::<_, (String, i64, i64)>(
        "SELECT kind, CAST(CASE WHEN data LIKE '%\"met\":true%' THEN 1 ELSE 0 END AS BIGINT), COUNT(*) \
         FROM conversation_events WHERE workspace_id = $1 AND kind IN ('sla_answered', 'sla_breach') \
         AND at >= $2 AND at < $3 GROUP BY 1, 2",
    )
    .bind(ws.0)
    .bind(from)
    .bind(until)
    .fetch_all(pool);
    let backlog = sqlx::query_as::<_, (String, Option<i64>, Option<i64>, i64)>(
        "SELECT status, team_id, assignee_id, COUNT(*) FROM conversations \
         WHERE workspace_id = $1 AND status IN ('new', 'open', 'pending', 'snoozed') GROUP BY 1, 2, 3",
    )
    .bind(ws.0)
    .fetch_all(pool);
    let topics = sqlx::query_as::<_, (i64, i64)>(
        "SELECT mt.topic_id, COUNT(*) FROM message_topics mt JOIN messages m ON m.id = mt.message_id \
         WHERE mt.workspace_id = $1 AND m.sent_at >= $2 AND m.sent_at < $3 \
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
    )
    .bind(ws.0)
    .bind(from)
    .bind(until)
    .fetch_all(pool);
    let (volume, first_response_minutes, sla, backlog, topics) =
        tokio::try_join!(volume, first_responses, sla, backlog, topics).map_err(db_err)?;
    let mut counts = DashboardCounts {
        volume: volume
            .into_iter()
            .map(|(day, channel, sentiment, n)| VolumeRow {
                day,
                channel: ChannelId(channel),
                sentiment: sentiment.unwrap_or_else(|| "unknown".into()),
                conversations: n,
            })
            .collect(),
        first_response_minutes,
        topics: topics.into_iter().map(|(t, n)| (TopicId(t), n)).collect(),
        ..Default::default()
    };
    for (kind, met, n) in sla {
        match (kind.as_str(), met) {
            ("sla_answered", 1) => counts.sla_met += n,
            ("sla_answered", _) => counts.sla_missed += n,
            _ => counts.sla_breaches += n,
        }
    }
    for (status, team, assignee, n) in backlog {
        counts.backlog.push(BacklogRow {
            status: status
                .parse()
                .map_err(|_| crate::corrupt("status", &status))?,
            team: team.map(TeamId),
            assignee: assignee.map(AgentId),
            conversations: n,
        });
    }
    Ok(counts)
}

/// Share of voice's counts: per UTC day (the posts' own time) and source, the posts of each
/// topic, those matching any, and the listening posts that matched none.
pub(crate) async fn share_of_voice(
    pool: &Pool,
    ws: WorkspaceId,
    from: earshot_core::time::Timestamp,
    until: earshot_core::time::Timestamp,
) -> StoreResult<earshot_core::report::VoiceCounts> {
    let (from, until) = (to_millis(from), to_millis(until));
    let rows = |sql: &'static str| {
        sqlx::query(sql)
            .bind(ws.0)
            .bind(from)
            .bind(until)
            .fetch_all(pool)
    };
    let (topics, matched, unmatched) = tokio::try_join!(
        rows(
            "SELECT m.sent_at / 86400000, m.channel_id, mt.topic_id, COUNT(*) FROM message_topics mt \
             JOIN messages m ON m.id = mt.message_id \
             WHERE mt.workspace_id = $1 AND m.sent_at >= $2 AND m.sent_at < $3 \
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ),
        rows(
            "SELECT m.sent_at / 86400000, m.channel_id, COUNT(DISTINCT m.id) FROM message_topics mt \
             JOIN messages m ON m.id = mt.message_id \
             WHERE mt.workspace_id = $1 AND m.sent_at >= $2 AND m.sent_at < $3 \
             GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        rows(
            "SELECT sent_at / 86400000, channel_id, COUNT(*) FROM listening_unmatched \
             WHERE workspace_id = $1 AND sent_at >= $2 AND sent_at < $3 \
             GROUP BY 1, 2 ORDER BY 1, 2"
        ),
    )
    .map_err(db_err)?;
    let triple = |r: &DbRow| -> StoreResult<(i64, ChannelId, i64)> {
        Ok((
            r.try_get(0).map_err(db_err)?,
            ChannelId(r.try_get(1).map_err(db_err)?),
            r.try_get(2).map_err(db_err)?,
        ))
    };
    Ok(earshot_core::report::VoiceCounts {
        topics: topics
            .iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(db_err)?,
                    ChannelId(r.try_get(1).map_err(db_err)?),
                    earshot_core::TopicId(r.try_get(2).map_err(db_err)?),
                    r.try_get(3).map_err(db_err)?,
                ))
            })
            .collect::<StoreResult<_>>()?,
        matched: matched.iter().map(triple).collect::<StoreResult<_>>()?,
        unmatched: unmatched.iter().map(triple).collect::<StoreResult<_>>()?,
    })
}

/// `/metrics`' counts: SLA clocks running and pending webhook calls from partial indexes that
/// hold only those rows; workspaces, channels and the outbox by state grouped over the whole
/// tables.
pub(crate) async fn operations(
    pool: &Pool,
    now: earshot_core::time::Timestamp,
) -> StoreResult<earshot_core::report::Operations> {
    let one = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool);
    let now = to_millis(now);
    let (workspaces, running, overdue, pending) = tokio::try_join!(
        one("SELECT COUNT(*) FROM workspaces"),
        one("SELECT COUNT(*) FROM conversations WHERE sla_due_at IS NOT NULL"),
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM conversations WHERE sla_due_at IS NOT NULL AND sla_due_at < $1"
        )
        .bind(now)
        .fetch_one(pool),
        one("SELECT COUNT(*) FROM webhook_calls WHERE processed_at IS NULL"),
    )
    .map_err(db_err)?;
    let groups =
        |sql: &'static str| sqlx::query_as::<_, (String, String, i64)>(sql).fetch_all(pool);
    let (outbox, channels) = tokio::try_join!(
        groups("SELECT status, delivery, COUNT(*) FROM outbox GROUP BY 1, 2 ORDER BY 1, 2"),
        groups(
            "SELECT connector, status, COUNT(*) FROM channels WHERE connector IS NOT NULL \
             GROUP BY 1, 2 ORDER BY 1, 2"
        ),
    )
    .map_err(db_err)?;
    Ok(earshot_core::report::Operations {
        workspaces,
        sla_running: running,
        sla_overdue: overdue,
        webhooks_pending: pending,
        outbox,
        channels,
    })
}

/// Inbound messages in each of `hours` for emerging-issue detection: per topic, intents set,
/// channel. Each hour is an index range of `messages (workspace_id, sent_at)`, and the joins
/// are driven from those messages (`CROSS JOIN` keeps SQLite from starting at every topic
/// match of the workspace instead; PostgreSQL plans it as the inner join it is).
pub(crate) async fn hourly_counts(
    pool: &Pool,
    ws: WorkspaceId,
    hours: &[i64],
) -> StoreResult<earshot_core::emerging::HourlyCounts> {
    let mut hours = hours.to_vec();
    hours.sort_unstable();
    hours.dedup();
    if hours.is_empty() {
        return Ok(Default::default());
    }
    // One branch per hour, each an index range (an OR of ranges made SQLite scan the
    // workspace's whole index), counted together outside.
    let per_hour = |columns: &str, from: &str, filter: &str| {
        let branches = hours
            .iter()
            .map(|h| {
                format!(
                    "SELECT m.sent_at / 3600000 AS h, {columns} AS k FROM {from} \
                     WHERE m.workspace_id = $1 AND m.sent_at >= {} AND m.sent_at < {} {filter}",
                    h * 3_600_000,
                    (h + 1) * 3_600_000
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        format!("SELECT h, k, COUNT(*) FROM ({branches}) x GROUP BY h, k")
    };
    let rows = |sql: String| async move { sqlx::query(&sql).bind(ws.0).fetch_all(pool).await };
    let (topics, intents, channels) = tokio::try_join!(
        rows(per_hour(
            "mt.topic_id",
            "messages m CROSS JOIN message_topics mt",
            "AND mt.message_id = m.id AND m.direction = 'in'"
        )),
        rows(per_hour(
            "e.intents",
            "messages m CROSS JOIN message_enrichments e",
            "AND e.message_id = m.id"
        )),
        rows(per_hour(
            "m.channel_id",
            "messages m",
            "AND m.direction = 'in'"
        )),
    )
    .map_err(db_err)?;
    let first: Option<i64> =
        sqlx::query_scalar("SELECT MIN(sent_at) FROM messages WHERE workspace_id = $1")
            .bind(ws.0)
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
    let hour = |r: &DbRow| -> StoreResult<i64> { r.try_get(0).map_err(db_err) };
    let count = |r: &DbRow| -> StoreResult<i64> { r.try_get(2).map_err(db_err) };
    Ok(earshot_core::emerging::HourlyCounts {
        topics: topics
            .iter()
            .map(|r| Ok((hour(r)?, TopicId(r.try_get(1).map_err(db_err)?), count(r)?)))
            .collect::<StoreResult<_>>()?,
        intents: intents
            .iter()
            .map(|r| Ok((hour(r)?, r.try_get(1).map_err(db_err)?, count(r)?)))
            .collect::<StoreResult<_>>()?,
        channels: channels
            .iter()
            .map(|r| {
                Ok((
                    hour(r)?,
                    ChannelId(r.try_get(1).map_err(db_err)?),
                    count(r)?,
                ))
            })
            .collect::<StoreResult<_>>()?,
        first_hour: first.map(|ms| ms.div_euclid(3_600_000)),
    })
}

/// The hour of a series' first message (topics and channels; intents have none of their own).
pub(crate) async fn series_first_hour(
    pool: &Pool,
    ws: WorkspaceId,
    series: &earshot_core::emerging::SeriesKey,
) -> StoreResult<Option<i64>> {
    use earshot_core::emerging::SeriesKey;
    let first: Option<i64> = match series {
        SeriesKey::Topic(t) => sqlx::query_scalar(
            "SELECT MIN(m.sent_at) FROM message_topics mt JOIN messages m ON m.id = mt.message_id \
             WHERE mt.workspace_id = $1 AND mt.topic_id = $2",
        )
        .bind(ws.0)
        .bind(t.0)
        .fetch_one(pool)
        .await
        .map_err(db_err)?,
        SeriesKey::Channel(c) => sqlx::query_scalar(
            "SELECT MIN(sent_at) FROM messages WHERE workspace_id = $1 AND channel_id = $2",
        )
        .bind(ws.0)
        .bind(c.0)
        .fetch_one(pool)
        .await
        .map_err(db_err)?,
        SeriesKey::Intent(_) => None,
    };
    Ok(first.map(|ms| ms.div_euclid(3_600_000)))
}

/// A series' inbound messages in a range, the most followed authors first.
pub(crate) async fn top_messages(
    pool: &Pool,
    ws: WorkspaceId,
    series: &earshot_core::emerging::SeriesKey,
    from: earshot_core::time::Timestamp,
    until: earshot_core::time::Timestamp,
    limit: u32,
) -> StoreResult<Vec<earshot_core::emerging::TopMessage>> {
    use earshot_core::emerging::SeriesKey;
    let condition = match series {
        SeriesKey::Topic(_) => {
            "m.id IN (SELECT message_id FROM message_topics WHERE workspace_id = $1 AND topic_id = $4)"
        }
        SeriesKey::Intent(_) => {
            "m.id IN (SELECT message_id FROM message_enrichments WHERE workspace_id = $1 AND intents LIKE $4)"
        }
        SeriesKey::Channel(_) => "m.channel_id = $4",
    };
    let sql = format!(
        "SELECT m.id, m.conversation_id, m.sent_at, m.text, i.handle, i.followers FROM messages m \
         JOIN identities i ON i.id = m.identity_id \
         WHERE m.workspace_id = $1 AND m.direction = 'in' AND m.sent_at >= $2 AND m.sent_at < $3 AND {condition} \
         ORDER BY COALESCE(i.followers, 0) DESC, m.id LIMIT $5"
    );
    let query = sqlx::query(&sql)
        .bind(ws.0)
        .bind(to_millis(from))
        .bind(to_millis(until));
    let query = match series {
        SeriesKey::Topic(t) => query.bind(t.0),
        SeriesKey::Intent(name) => query.bind(format!("%\"{name}\"%")),
        SeriesKey::Channel(c) => query.bind(c.0),
    };
    let rows = query
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok(earshot_core::emerging::TopMessage {
                message_id: MessageId(r.try_get(0).map_err(db_err)?),
                conversation_id: ConversationId(r.try_get(1).map_err(db_err)?),
                sent_at: earshot_core::time::from_millis(r.try_get(2).map_err(db_err)?),
                text: r.try_get(3).map_err(db_err)?,
                handle: r.try_get(4).map_err(db_err)?,
                followers: r.try_get(5).map_err(db_err)?,
            })
        })
        .collect()
}

/// [`earshot_core::store::ReadModelStore::agent_work_events`]: one range scan of the index
/// that holds only agents' events and reopenings (its predicate, repeated here word for word
/// so both planners use it; the event data is JSON with sorted keys, as serde_json writes
/// it).
pub(crate) async fn agent_work_events(
    pool: &Pool,
    ws: WorkspaceId,
    from: earshot_core::time::Timestamp,
    until: earshot_core::time::Timestamp,
) -> StoreResult<Vec<earshot_core::agent_work::WorkEvent>> {
    /// Conversation, at, kind, actor, actor id, data, the conversation's first message.
    type Row = (i64, i64, String, String, Option<i64>, String, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT e.conversation_id, e.at, e.kind, e.actor, e.actor_id, e.data, c.first_message_at \
         FROM conversation_events e JOIN conversations c ON c.id = e.conversation_id \
         WHERE e.workspace_id = $1 AND e.at >= $2 AND e.at < $3 \
         AND (e.actor = 'agent' OR (e.kind = 'status_changed' AND e.data LIKE '%\"from\":\"resolved\"%')) \
         ORDER BY e.conversation_id, e.at, e.id",
    )
    .bind(ws.0)
    .bind(to_millis(from))
    .bind(to_millis(until))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter()
        .map(|(c, at, kind, actor, actor_id, data, first)| {
            Ok(earshot_core::agent_work::WorkEvent {
                conversation_id: ConversationId(c),
                at: earshot_core::time::from_millis(at),
                kind,
                agent: (actor == "agent")
                    .then_some(actor_id)
                    .flatten()
                    .map(AgentId),
                data: serde_json::from_str(&data)
                    .map_err(|_| crate::corrupt("event data", &data))?,
                first_message_at: earshot_core::time::from_millis(first),
            })
        })
        .collect()
}
