//! The outbox: replies, notifications and webhooks waiting to be delivered, with their
//! attempts.

use super::*;

use earshot_core::workflow::{Delivery, NewOutbox, OutboxItem};

pub(crate) async fn enqueue(
    pool: &Pool,
    ws: WorkspaceId,
    items: &[NewOutbox],
) -> StoreResult<Vec<i64>> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let ids = enqueue_in(&mut tx, ws, items).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(ids)
}

/// [`enqueue`] inside the caller's transaction.
pub(crate) async fn enqueue_in(
    tx: &mut Tx<'_>,
    ws: WorkspaceId,
    items: &[NewOutbox],
) -> StoreResult<Vec<i64>> {
    let at = to_millis(now());
    // One INSERT per chunk, with ids taken for it beforehand.
    let ids = next_ids(tx, "outbox", items.len()).await?;
    for (chunk, chunk_ids) in items.chunks(500).zip(ids.chunks(500)) {
        let rows: Vec<Vec<Bind>> = chunk
            .iter()
            .zip(chunk_ids)
            .map(|(item, id)| {
                vec![
                    Bind::I64(*id),
                    Bind::I64(ws.0),
                    Bind::OptI64(item.conversation_id.map(|c| c.0)),
                    Bind::Text(item.kind.into()),
                    Bind::OptI64(item.message_id.map(|m| m.0)),
                    Bind::Text(item.payload.to_string()),
                    Bind::I64(at),
                ]
            })
            .collect();
        let mut sql = crate::queries::Sql::new(&format!(
            "INSERT INTO outbox (id, workspace_id, conversation_id, kind, message_id, payload, status, attempts, \
             next_attempt_at, created_at) SELECT {}, {}, {}, {}, {}, {}, 'queued', 0, {}, {} FROM ",
            column(1),
            column(2),
            column(3),
            column(4),
            column(5),
            column(6),
            column(7),
            column(7)
        ));
        rows_source(&mut sql, 7, &rows);
        sql.push(" WHERE true");
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(ids)
}

const OUTBOX_COLUMNS: &str =
    "id, workspace_id, conversation_id, kind, message_id, payload, status, \
     attempts, next_attempt_at, last_error, created_at, sent_at, delivery, platform_id";

type OutboxRow = (
    i64,
    i64,
    Option<i64>,
    String,
    Option<i64>,
    String,
    String,
    i32,
    Option<i64>,
    Option<String>,
    i64,
    Option<i64>,
    String,
    Option<String>,
);

fn outbox_item(r: OutboxRow) -> StoreResult<OutboxItem> {
    let ms = earshot_core::time::from_millis;
    Ok(OutboxItem {
        id: r.0,
        workspace_id: WorkspaceId(r.1),
        conversation_id: r.2.map(ConversationId),
        kind: r.3,
        message_id: r.4.map(MessageId),
        payload: serde_json::from_str(&r.5).map_err(|_| crate::corrupt("outbox payload", &r.5))?,
        status: r.6,
        attempts: r.7,
        next_attempt_at: r.8.map(ms),
        last_error: r.9,
        created_at: ms(r.10),
        sent_at: r.11.map(ms),
        delivery: r
            .12
            .parse()
            .map_err(|_| crate::corrupt("delivery state", &r.12))?,
        platform_id: r.13,
    })
}

pub(crate) async fn outbox_due(
    pool: &Pool,
    at: earshot_core::time::Timestamp,
    limit: u32,
) -> StoreResult<Vec<OutboxItem>> {
    let rows: Vec<OutboxRow> = sqlx::query_as(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2"
    ))
    .bind(to_millis(at))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter().map(outbox_item).collect()
}

pub(crate) async fn outbox_result(
    pool: &Pool,
    id: i64,
    delivery: &Delivery,
    at: earshot_core::time::Timestamp,
) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let q = match delivery {
        Delivery::Sent { platform_id } => sqlx::query(
            "UPDATE outbox SET status = 'sent', delivery = 'sent', platform_id = $1, attempts = attempts + 1, \
             sent_at = $2, delivery_at = $2, next_attempt_at = NULL, last_error = NULL WHERE id = $3",
        )
        .bind(platform_id.as_deref())
        .bind(to_millis(at))
        .bind(id),
        Delivery::Retry { error, at: next } => sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3",
        )
        .bind(to_millis(*next))
        .bind(error.as_str())
        .bind(id),
        Delivery::Paused { error, at: next } => sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
        )
        .bind(to_millis(*next))
        .bind(error.as_str())
        .bind(id),
        Delivery::Failed { error } => sqlx::query(
            "UPDATE outbox SET status = 'failed', delivery = 'failed', attempts = attempts + 1, \
             next_attempt_at = NULL, last_error = $1, delivery_at = $2 WHERE id = $3",
        )
        .bind(error.as_str())
        .bind(to_millis(at))
        .bind(id),
        Delivery::NotSent { reason } => sqlx::query(
            "UPDATE outbox SET status = 'failed', delivery = 'not_sent', next_attempt_at = NULL, \
             last_error = $1, delivery_at = $2 WHERE id = $3",
        )
        .bind(reason.as_str())
        .bind(to_millis(at))
        .bind(id),
    };
    let done = q.execute(&mut *tx).await.map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(not_found("outbox item", id));
    }
    // A reply the platform accepted takes the platform's id, so that what the customer
    // answers to it (a WhatsApp context, a Telegram reply) and the platform's own echoes of it
    // find it.
    if let Delivery::Sent {
        platform_id: Some(platform_id),
    } = delivery
    {
        sqlx::query(
            "UPDATE messages SET external_id = $1 WHERE id = (SELECT message_id FROM outbox WHERE id = $2) \
             AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.workspace_id = messages.workspace_id \
             AND o.channel_id = messages.channel_id AND o.external_id = $1)",
        )
        .bind(platform_id.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn list_outbox(
    pool: &Pool,
    ws: WorkspaceId,
    conversation: Option<ConversationId>,
) -> StoreResult<Vec<OutboxItem>> {
    let rows: Vec<OutboxRow> = sqlx::query_as(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE workspace_id = $1 AND ($2 IS NULL OR conversation_id = $2) \
         ORDER BY id"
    ))
    .bind(ws.0)
    .bind(conversation.map(|c| c.0))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter().map(outbox_item).collect()
}
