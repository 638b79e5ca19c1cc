//! The consent ledger: keyword changes recorded inside a batch's unit of work (before the
//! decide stage reads the contacts, so a `STOP` is respected by the same batch's rules), and
//! the ledger read for a contact.

use super::*;
use earshot_core::consent::{ConsentChange, ConsentEvent, ENGAGEMENT};
use earshot_core::ContactId;

/// Appends each change that moves its contact's state (a second `STOP` changes nothing) and
/// sets the contact's `opted_out` from it. Returns, per change, whether it was recorded.
pub(crate) async fn record_consent_in(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    changes: &[ConsentChange],
) -> StoreResult<Vec<bool>> {
    let mut recorded = Vec::with_capacity(changes.len());
    for c in changes {
        let row: Option<(i64, bool, bool)> = sqlx::query_as(
            "SELECT ct.id, ct.opted_out, ct.brand FROM conversations cv JOIN contacts ct ON ct.id = cv.contact_id \
             WHERE cv.workspace_id = $1 AND cv.id = $2",
        )
        .bind(ws.0)
        .bind(c.conversation_id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
        let Some((contact, opted_out, brand)) = row else {
            recorded.push(false);
            continue;
        };
        // Withdrawn already (or granted already): the ledger does not repeat itself.
        if brand || opted_out != c.granted {
            recorded.push(false);
            continue;
        }
        sqlx::query(
            "INSERT INTO consent_events (workspace_id, contact_id, purposes, channel, granted, at, how, message_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(ws.0)
        .bind(contact)
        .bind(serde_json::to_string(ENGAGEMENT).expect("purposes serialize"))
        .bind(c.channel.as_str())
        .bind(c.granted)
        .bind(to_millis(c.at))
        .bind(&c.how)
        .bind(c.message_id.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
        sqlx::query("UPDATE contacts SET opted_out = $1, updated_at = $2 WHERE id = $3")
            .bind(!c.granted)
            .bind(to_millis(c.at))
            .bind(contact)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        recorded.push(true);
    }
    Ok(recorded)
}

type ConsentRow = (
    i64,
    i64,
    String,
    Option<String>,
    bool,
    i64,
    String,
    Option<i64>,
);

pub(crate) async fn consent_ledger(
    pool: &Pool,
    ws: WorkspaceId,
    contact: ContactId,
) -> StoreResult<Vec<ConsentEvent>> {
    let rows: Vec<ConsentRow> = sqlx::query_as(
        "SELECT id, contact_id, purposes, channel, granted, at, how, message_id FROM consent_events \
         WHERE workspace_id = $1 AND contact_id = $2 ORDER BY id",
    )
    .bind(ws.0)
    .bind(contact.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter()
        .map(
            |(id, contact, purposes, channel, granted, at, how, message)| {
                Ok(ConsentEvent {
                    id,
                    contact_id: ContactId(contact),
                    purposes: serde_json::from_str(&purposes)
                        .map_err(|_| crate::corrupt("consent purposes", &purposes))?,
                    channel: channel.and_then(|c| c.parse().ok()),
                    granted,
                    at: earshot_core::time::from_millis(at),
                    how,
                    message_id: message.map(earshot_core::MessageId),
                })
            },
        )
        .collect()
}
