//! Connected channels, their webhook calls, and the delivery states their platforms report.

use super::*;

use earshot_core::connector::{
    ChannelStatus, ConnectedChannel, Connection, DeliveryChanged, DeliveryState, ReplyTarget,
    StatusReport, WebhookCall,
};

const CONNECTED_COLUMNS: &str = "id, workspace_id, kind, name, role, connector, settings, \
     sealed_secrets, status, status_reason, connected_at, updated_at, last_poll_at, \
     last_event_at, last_error, last_error_at";

fn connected(r: &DbRow) -> StoreResult<ConnectedChannel> {
    let connector: String = r.try_get(5).map_err(db_err)?;
    let settings: String = r.try_get(6).map_err(db_err)?;
    let status: String = r.try_get(8).map_err(db_err)?;
    let ms = earshot_core::time::from_millis;
    let settings = match serde_json::from_str(&settings) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => return Err(crate::corrupt("channel settings", &settings)),
    };
    Ok(ConnectedChannel {
        channel: channel(r)?,
        connector: connector
            .parse()
            .map_err(|_| crate::corrupt("channel connector", &connector))?,
        settings,
        sealed_secrets: r
            .try_get::<Option<String>, _>(7)
            .map_err(db_err)?
            .unwrap_or_default(),
        status: status
            .parse()
            .map_err(|_| crate::corrupt("channel status", &status))?,
        status_reason: r.try_get(9).map_err(db_err)?,
        activity: earshot_core::connector::Activity {
            last_poll_at: r.try_get::<Option<i64>, _>(12).map_err(db_err)?.map(ms),
            last_event_at: r.try_get::<Option<i64>, _>(13).map_err(db_err)?.map(ms),
            last_error: r.try_get(14).map_err(db_err)?,
            last_error_at: r.try_get::<Option<i64>, _>(15).map_err(db_err)?.map(ms),
        },
        created_at: ms(r
            .try_get::<Option<i64>, _>(10)
            .map_err(db_err)?
            .unwrap_or(0)),
        updated_at: ms(r
            .try_get::<Option<i64>, _>(11)
            .map_err(db_err)?
            .unwrap_or(0)),
    })
}

async fn connected_by_id(
    conn: &mut sqlx::pool::PoolConnection<Db>,
    ws: Option<WorkspaceId>,
    id: ChannelId,
) -> StoreResult<Option<ConnectedChannel>> {
    let row = sqlx::query(&format!(
        "SELECT {CONNECTED_COLUMNS} FROM channels WHERE id = $1 AND connector IS NOT NULL \
         AND ($2 IS NULL OR workspace_id = $2)"
    ))
    .bind(id.0)
    .bind(ws.map(|w| w.0))
    .fetch_optional(&mut **conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(connected).transpose()
}

fn settings_text(c: &Connection) -> String {
    serde_json::Value::Object(c.settings.clone()).to_string()
}

pub(crate) async fn connect_channel(
    pool: &Pool,
    ws: WorkspaceId,
    c: &Connection,
) -> StoreResult<ConnectedChannel> {
    let at = to_millis(now());
    let mut conn = pool.acquire().await.map_err(db_err)?;
    let kind = c.connector.channel_kind();
    let existing: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT id, connector FROM channels WHERE workspace_id = $1 AND kind = $2 AND name = $3 \
         AND role = $4",
    )
    .bind(ws.0)
    .bind(kind.as_str())
    .bind(c.name.as_str())
    .bind(c.connector.role().as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let id = match existing {
        Some((_, Some(_))) => {
            return Err(store::StoreError::Conflict(format!(
                "a {} channel named `{}` is already connected",
                c.connector, c.name
            )))
        }
        Some((id, None)) => {
            sqlx::query(
                "UPDATE channels SET connector = $1, settings = $2, sealed_secrets = $3, status = 'active', \
                 status_reason = NULL, connected_at = $4, updated_at = $4 WHERE id = $5",
            )
            .bind(c.connector.as_str())
            .bind(settings_text(c))
            .bind(c.sealed_secrets.as_str())
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
            id
        }
        None => sqlx::query_scalar(
            "INSERT INTO channels (workspace_id, kind, name, role, created_at, connector, settings, \
             sealed_secrets, status, connected_at, updated_at) \
             VALUES ($1, $2, $3, $8, $4, $5, $6, $7, 'active', $4, $4) RETURNING id",
        )
        .bind(ws.0)
        .bind(kind.as_str())
        .bind(c.name.as_str())
        .bind(at)
        .bind(c.connector.as_str())
        .bind(settings_text(c))
        .bind(c.sealed_secrets.as_str())
        .bind(c.connector.role().as_str())
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?,
    };
    connected_by_id(&mut conn, Some(ws), ChannelId(id))
        .await?
        .ok_or_else(|| not_found("channel", id))
}

pub(crate) async fn connected_channels(
    pool: &Pool,
    ws: WorkspaceId,
) -> StoreResult<Vec<ConnectedChannel>> {
    sqlx::query(&format!(
        "SELECT {CONNECTED_COLUMNS} FROM channels WHERE workspace_id = $1 AND connector IS NOT NULL \
         ORDER BY connected_at, id"
    ))
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(connected)
    .collect()
}

pub(crate) async fn connected_channel(
    pool: &Pool,
    ws: Option<WorkspaceId>,
    id: ChannelId,
) -> StoreResult<Option<ConnectedChannel>> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    connected_by_id(&mut conn, ws, id).await
}

pub(crate) async fn reconnect_channel(
    pool: &Pool,
    ws: WorkspaceId,
    id: ChannelId,
    c: &Connection,
) -> StoreResult<ConnectedChannel> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    let done = sqlx::query(
        "UPDATE channels SET name = $1, settings = $2, sealed_secrets = $3, status = 'active', \
         status_reason = NULL, updated_at = $4 \
         WHERE id = $5 AND workspace_id = $6 AND connector = $7",
    )
    .bind(c.name.as_str())
    .bind(settings_text(c))
    .bind(c.sealed_secrets.as_str())
    .bind(to_millis(now()))
    .bind(id.0)
    .bind(ws.0)
    .bind(c.connector.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(not_found("channel", id.0));
    }
    connected_by_id(&mut conn, Some(ws), id)
        .await?
        .ok_or_else(|| not_found("channel", id.0))
}

pub(crate) async fn disconnect_channel(
    pool: &Pool,
    ws: WorkspaceId,
    id: ChannelId,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE channels SET connector = NULL, settings = '{}', sealed_secrets = NULL, status = 'active', \
         status_reason = NULL, updated_at = $1 WHERE id = $2 AND workspace_id = $3 AND connector IS NOT NULL",
    )
    .bind(to_millis(now()))
    .bind(id.0)
    .bind(ws.0)
    .execute(pool)
    .await
    .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(not_found("channel", id.0));
    }
    Ok(())
}

pub(crate) async fn set_channel_status(
    pool: &Pool,
    ws: WorkspaceId,
    id: ChannelId,
    status: ChannelStatus,
    reason: Option<&str>,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE channels SET status = $1, status_reason = $2, updated_at = $3 \
         WHERE id = $4 AND workspace_id = $5 AND connector IS NOT NULL",
    )
    .bind(status.as_str())
    .bind(reason)
    .bind(to_millis(now()))
    .bind(id.0)
    .bind(ws.0)
    .execute(pool)
    .await
    .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(not_found("channel", id.0));
    }
    Ok(())
}

pub(crate) async fn accept_webhooks(
    pool: &Pool,
    calls: &[(WorkspaceId, ChannelId, &[u8])],
    at: earshot_core::time::Timestamp,
) -> StoreResult<Vec<i64>> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let mut ids = Vec::with_capacity(calls.len());
    for (ws, channel, body) in calls {
        ids.push(
            sqlx::query_scalar(
                "INSERT INTO webhook_calls (workspace_id, channel_id, body, received_at) VALUES ($1, $2, $3, $4) \
                 RETURNING id",
            )
            .bind(ws.0)
            .bind(channel.0)
            .bind(*body)
            .bind(to_millis(at))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?,
        );
    }
    tx.commit().await.map_err(db_err)?;
    Ok(ids)
}

pub(crate) async fn pending_webhooks(
    pool: &Pool,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<WebhookCall>> {
    let rows: Vec<(i64, i64, i64, Vec<u8>, i64)> = sqlx::query_as(
        "SELECT id, workspace_id, channel_id, body, received_at FROM webhook_calls \
         WHERE processed_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    Ok(rows
        .into_iter()
        .map(|(id, ws, channel, body, at)| WebhookCall {
            id,
            workspace_id: WorkspaceId(ws),
            channel_id: ChannelId(channel),
            body,
            received_at: earshot_core::time::from_millis(at),
        })
        .collect())
}

pub(crate) async fn webhooks_processed(
    pool: &Pool,
    done: &[(i64, String)],
    at: earshot_core::time::Timestamp,
) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    for (id, outcome) in done {
        sqlx::query("UPDATE webhook_calls SET processed_at = $1, outcome = $2 WHERE id = $3")
            .bind(to_millis(at))
            .bind(outcome.as_str())
            .bind(*id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn reply_target(
    pool: &Pool,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Option<ReplyTarget>> {
    let row: Option<(i64, String, String, i64, String, String)> = sqlx::query_as(
        "SELECT m.channel_id, i.external_id, m.external_id, m.sent_at, m.raw, m.visibility FROM messages m \
         JOIN identities i ON i.id = m.identity_id \
         WHERE +m.workspace_id = $1 AND m.conversation_id = $2 AND m.direction = 'in' \
         ORDER BY m.sent_at DESC, m.id DESC LIMIT 1",
    )
    .bind(ws.0)
    .bind(conversation.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    Ok(row.map(
        |(channel, recipient, last, at, raw, visibility)| ReplyTarget {
            channel_id: ChannelId(channel),
            recipient,
            last_inbound_id: last,
            last_inbound_at: earshot_core::time::from_millis(at),
            last_inbound_raw: serde_json::from_str(&raw).unwrap_or(serde_json::Value::Null),
            last_inbound_public: visibility == "public",
        },
    ))
}

/// A transcript row: message id, direction, text, sent at, the reply's platform id and
/// delivery state.
type ChatRow = (i64, String, String, i64, Option<String>, Option<String>);

pub(crate) async fn chat_transcript(
    pool: &Pool,
    ws: WorkspaceId,
    channel: ChannelId,
    visitor: &str,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<earshot_core::connector::ChatLine>> {
    // The visitor's identity → their contact's conversations on this channel (by contact) →
    // their messages (by conversation), replies only once released.
    let newest = after <= 0;
    let rows: Vec<ChatRow> = sqlx::query_as(&format!(
        "SELECT m.id, m.direction, m.text, m.sent_at, o.platform_id, o.delivery FROM messages m \
             LEFT JOIN outbox o ON o.message_id = m.id AND o.kind = 'reply' \
             WHERE m.conversation_id IN (SELECT c.id FROM conversations c \
                 JOIN identities i ON i.contact_id = c.contact_id \
                 WHERE i.workspace_id = $1 AND i.kind = 'web_chat' AND i.external_id = $3 \
                 AND c.workspace_id = $1 AND c.channel_id = $2) \
             AND m.id > $4 AND m.deleted_at IS NULL \
             AND (m.direction = 'in' OR o.delivery IN ('sent', 'delivered', 'read')) \
             ORDER BY m.id {} LIMIT $5",
        if newest { "DESC" } else { "ASC" }
    ))
    .bind(ws.0)
    .bind(channel.0)
    .bind(visitor)
    .bind(after.max(0))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut lines = rows
        .into_iter()
        .map(|(id, direction, text, at, platform_id, delivery)| {
            Ok(earshot_core::connector::ChatLine {
                id,
                direction: direction
                    .parse()
                    .map_err(|_| crate::corrupt("message direction", &direction))?,
                text,
                sent_at: earshot_core::time::from_millis(at),
                platform_id,
                delivery: delivery.and_then(|d| d.parse().ok()),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    if newest {
        lines.reverse();
    }
    Ok(lines)
}

pub(crate) async fn record_status(
    pool: &Pool,
    ws: WorkspaceId,
    channel: ChannelId,
    report: &StatusReport,
) -> StoreResult<Option<DeliveryChanged>> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let row: Option<(i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT o.id, o.conversation_id, o.delivery FROM outbox o \
         JOIN conversations c ON c.id = o.conversation_id \
         WHERE o.workspace_id = $1 AND o.platform_id = $2 AND c.channel_id = $3 ORDER BY o.id LIMIT 1",
    )
    .bind(ws.0)
    .bind(report.platform_id.as_str())
    .bind(channel.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let Some((id, conversation, current)) = row else {
        return Ok(None);
    };
    let current: DeliveryState = current
        .parse()
        .map_err(|_| crate::corrupt("delivery state", &current))?;
    if !current.moves_to(report.state) {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE outbox SET delivery = $1, delivery_at = $2, \
         last_error = COALESCE($3, last_error) WHERE id = $4",
    )
    .bind(report.state.as_str())
    .bind(to_millis(report.at))
    .bind(report.error.as_deref())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(Some(DeliveryChanged {
        outbox_id: id,
        conversation_id: conversation.map(ConversationId),
    }))
}

pub(crate) async fn record_activity(
    pool: &Pool,
    id: ChannelId,
    report: &earshot_core::connector::ActivityReport,
    at: earshot_core::time::Timestamp,
) -> StoreResult<()> {
    let at = to_millis(at);
    // A success (a poll, or events without an error) clears the last error.
    let clears = report.error.is_none() && (report.polled || report.events);
    sqlx::query(
        "UPDATE channels SET \
         last_poll_at = CASE WHEN $2 THEN $1 ELSE last_poll_at END, \
         last_event_at = CASE WHEN $3 THEN $1 ELSE last_event_at END, \
         last_error = CASE WHEN $4 IS NOT NULL THEN $4 WHEN $5 THEN NULL ELSE last_error END, \
         last_error_at = CASE WHEN $4 IS NOT NULL THEN $1 WHEN $5 THEN NULL ELSE last_error_at END \
         WHERE id = $6",
    )
    .bind(at)
    .bind(report.polled)
    .bind(report.events)
    .bind(report.error.as_deref())
    .bind(clears)
    .bind(id.0)
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn sent_by_earshot(
    pool: &Pool,
    ws: WorkspaceId,
    channel: ChannelId,
    platform_ids: &[String],
) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in platform_ids.chunks(500) {
        let mut sql = crate::queries::Sql::new(
            "SELECT o.platform_id FROM outbox o JOIN conversations c ON c.id = o.conversation_id \
             WHERE o.workspace_id = ",
        );
        sql.bind(Bind::I64(ws.0))
            .push(" AND c.channel_id = ")
            .bind(Bind::I64(channel.0))
            .push(" AND o.platform_id IN ");
        let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
        text_list(&mut sql, &ids);
        for r in bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(pool)
            .await
            .map_err(db_err)?
        {
            out.push(r.try_get(0).map_err(db_err)?);
        }
    }
    Ok(out)
}

pub(crate) async fn mark_deleted(
    pool: &Pool,
    ws: WorkspaceId,
    channel: ChannelId,
    platform_ids: &[String],
    at: earshot_core::time::Timestamp,
) -> StoreResult<u64> {
    let mut n = 0;
    for chunk in platform_ids.chunks(500) {
        let mut sql = crate::queries::Sql::new("UPDATE messages SET deleted_at = ");
        sql.bind(Bind::I64(to_millis(at)))
            .push(" WHERE deleted_at IS NULL AND workspace_id = ")
            .bind(Bind::I64(ws.0))
            .push(" AND channel_id = ")
            .bind(Bind::I64(channel.0))
            .push(" AND external_id IN ");
        let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
        text_list(&mut sql, &ids);
        n += bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(pool)
            .await
            .map_err(db_err)?
            .rows_affected();
    }
    Ok(n)
}

pub(crate) async fn channel_cursor(pool: &Pool, id: ChannelId) -> StoreResult<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT cursor FROM channels WHERE id = $1")
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
    Ok(row.and_then(|r| r.0))
}

pub(crate) async fn set_channel_cursor(
    pool: &Pool,
    id: ChannelId,
    cursor: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE channels SET cursor = $1 WHERE id = $2")
        .bind(cursor)
        .bind(id.0)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn channels_with(
    pool: &Pool,
    connector: earshot_core::connector::Connector,
) -> StoreResult<Vec<ConnectedChannel>> {
    sqlx::query(&format!(
        "SELECT {CONNECTED_COLUMNS} FROM channels WHERE connector = $1 ORDER BY id"
    ))
    .bind(connector.as_str())
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(connected)
    .collect()
}

/// id, received_at, processed_at, outcome, body length.
type CallRow = (i64, i64, Option<i64>, Option<String>, i64);

pub(crate) async fn webhook_calls(
    pool: &Pool,
    ws: WorkspaceId,
    channel: ChannelId,
    limit: u32,
) -> StoreResult<Vec<earshot_core::connector::WebhookCallRecord>> {
    let rows: Vec<CallRow> = sqlx::query_as(
        "SELECT id, received_at, processed_at, outcome, CAST(LENGTH(body) AS BIGINT) FROM webhook_calls \
         WHERE workspace_id = $1 AND channel_id = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(ws.0)
    .bind(channel.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let ms = earshot_core::time::from_millis;
    Ok(rows
        .into_iter()
        .map(
            |(id, at, done, outcome, bytes)| earshot_core::connector::WebhookCallRecord {
                id,
                received_at: ms(at),
                processed_at: done.map(ms),
                outcome,
                bytes,
            },
        )
        .collect())
}

pub(crate) async fn forget_processed_webhooks(
    pool: &Pool,
    before: earshot_core::time::Timestamp,
) -> StoreResult<u64> {
    Ok(
        sqlx::query(
            "DELETE FROM webhook_calls WHERE processed_at IS NOT NULL AND received_at < $1",
        )
        .bind(to_millis(before))
        .execute(pool)
        .await
        .map_err(db_err)?
        .rows_affected(),
    )
}
