//! What a staffing plan reads (`earshot_core::staffing`): conversations begun per channel and
//! half-hour, and the brand's replies with how quickly they came.

use super::*;

use earshot_core::staffing::{ReplySample, StaffingHistory, INTERVAL_MS};

/// Three reads on the reader pool: conversations begun, grouped per channel, half-hour and
/// applied SLA policy (a range of the UTC-day index on conversations, bounded exactly inside
/// it); the brand's replies from `replies_from`, each against the message before it in its
/// conversation (one range of `messages (workspace_id, sent_at)`, a window per conversation:
/// its cost follows the messages of that range, so the caller keeps it short); then each of the
/// channels seen, its first day (the day index walked in order, stopping at its first entry).
pub(crate) async fn staffing_history(
    pool: &Pool,
    ws: WorkspaceId,
    from: earshot_core::time::Timestamp,
    until: earshot_core::time::Timestamp,
    replies_from: earshot_core::time::Timestamp,
    quick_ms: i64,
) -> StoreResult<StaffingHistory> {
    let (from, until) = (to_millis(from), to_millis(until));
    let (first_day, end_day) = (
        from.div_euclid(86_400_000),
        (until + 86_399_999).div_euclid(86_400_000),
    );
    let arrivals_sql = format!(
        "SELECT channel_id, first_message_at / {INTERVAL_MS}, sla_policy_id, COUNT(*) FROM conversations \
         WHERE workspace_id = $1 AND first_message_at / 86400000 >= $2 AND first_message_at / 86400000 < $3 \
         AND first_message_at >= $4 AND first_message_at < $5 GROUP BY 1, 2, 3"
    );
    let arrivals = sqlx::query_as::<_, (i64, i64, Option<i64>, i64)>(&arrivals_sql)
        .bind(ws.0)
        .bind(first_day)
        .bind(end_day)
        .bind(from)
        .bind(until)
        .fetch_all(pool);
    // A reply answers the customer message just before it; automated acknowledgements are
    // neither answers nor in between (left out of the window), and a reply with no message
    // before it in the range is left out.
    let replies = sqlx::query_as::<_, (i64, i64, i64, i64)>(
        "SELECT channel_id, COUNT(*), \
         CAST(SUM(CASE WHEN gap <= $4 THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN gap <= $4 THEN gap ELSE 0 END) AS BIGINT) \
         FROM (SELECT m.channel_id, m.direction, \
                 m.sent_at - LAG(m.sent_at) OVER w AS gap, LAG(m.direction) OVER w AS before \
               FROM messages m WHERE m.workspace_id = $1 AND m.sent_at >= $2 AND m.sent_at < $3 \
               AND NOT m.automated \
               WINDOW w AS (PARTITION BY m.conversation_id ORDER BY m.sent_at, m.id)) x \
         WHERE direction = 'out' AND before = 'in' GROUP BY channel_id",
    )
    .bind(ws.0)
    .bind(to_millis(replies_from))
    .bind(until)
    .bind(quick_ms)
    .fetch_all(pool);
    let (arrivals, replies) = tokio::try_join!(arrivals, replies).map_err(db_err)?;
    let mut channels: Vec<i64> = arrivals.iter().map(|r| r.0).collect();
    channels.sort_unstable();
    channels.dedup();
    let mut first = Vec::with_capacity(channels.len());
    for channel in channels {
        let day: Option<i64> = sqlx::query_scalar(
            "SELECT first_message_at / 86400000 FROM conversations \
             WHERE workspace_id = $1 AND channel_id = $2 ORDER BY first_message_at / 86400000 LIMIT 1",
        )
        .bind(ws.0)
        .bind(channel)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
        if let Some(day) = day {
            first.push((ChannelId(channel), day));
        }
    }
    Ok(StaffingHistory {
        arrivals: arrivals
            .into_iter()
            .map(|(c, interval, policy, n)| (ChannelId(c), interval, policy, n))
            .collect(),
        first_day: first,
        replies: replies
            .into_iter()
            .map(|(c, replies, quick, ms)| {
                (
                    ChannelId(c),
                    ReplySample {
                        replies,
                        quick_replies: quick,
                        quick_reply_ms: ms,
                    },
                )
            })
            .collect(),
    })
}
