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
    let mut conn = pool.acquire().await.map_err(db_err)?;
    consent_ledger_in(&mut conn, ws, contact).await
}

async fn consent_ledger_in(
    conn: &mut <Db as sqlx::Database>::Connection,
    ws: WorkspaceId,
    contact: ContactId,
) -> StoreResult<Vec<ConsentEvent>> {
    let rows: Vec<ConsentRow> = sqlx::query_as(
        "SELECT id, contact_id, purposes, channel, granted, at, how, message_id FROM consent_events \
         WHERE workspace_id = $1 AND contact_id = $2 ORDER BY id",
    )
    .bind(ws.0)
    .bind(contact.0)
    .fetch_all(&mut *conn)
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

/// What the customer chose on their preference page, in one transaction: the purposes that
/// change are appended to the ledger (one entry for those granted, one for those withdrawn,
/// `how` as given, said everywhere), `opted_out` follows (withdrawn from every engagement
/// purpose), and the level and channel are kept. Returns the contact as it is now.
pub(crate) async fn set_preferences(
    pool: &Pool,
    ws: WorkspaceId,
    contact: ContactId,
    choice: &earshot_core::preferences::Choice,
    how: &str,
    at: earshot_core::time::Timestamp,
) -> StoreResult<Contact> {
    use earshot_core::preferences::{current, PURPOSES};
    for p in &choice.purposes {
        if !PURPOSES.contains(&p.as_str()) {
            return Err(store::StoreError::Invalid(format!(
                "unknown purpose `{p}`; expected one of {}",
                PURPOSES.join(", ")
            )));
        }
    }
    let mut tx = pool.begin().await.map_err(db_err)?;
    let state: Option<(Option<i64>, bool)> = sqlx::query_as(
        "SELECT merged_into, brand FROM contacts WHERE workspace_id = $1 AND id = $2",
    )
    .bind(ws.0)
    .bind(contact.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    match state {
        None | Some((_, true)) => {
            return Err(store::StoreError::NotFound {
                what: "contact",
                id: contact.0,
            })
        }
        Some((Some(into), _)) => {
            return Err(store::StoreError::Conflict(format!(
                "contact {} was merged into contact {into}",
                contact.0
            )))
        }
        Some((None, false)) => {}
    }
    let ledger = consent_ledger_in(&mut tx, ws, contact).await?;
    let now_state = current(&ledger, None);
    let wanted = |p: &str| p == "support" || choice.purposes.iter().any(|c| c == p);
    let mut grant: Vec<&str> = Vec::new();
    let mut withdraw: Vec<&str> = Vec::new();
    for s in &now_state {
        if s.purpose == "support" {
            continue;
        }
        // A choice is recorded when it changes the state, or makes a default explicit.
        match (wanted(s.purpose), s.granted, s.since.is_some()) {
            (true, false, _) | (true, true, false) => grant.push(s.purpose),
            (false, true, _) | (false, false, false) => withdraw.push(s.purpose),
            _ => {}
        }
    }
    for (purposes, granted) in [(&grant, true), (&withdraw, false)] {
        if purposes.is_empty() {
            continue;
        }
        sqlx::query(
            "INSERT INTO consent_events (workspace_id, contact_id, purposes, channel, granted, at, how, message_id) \
             VALUES ($1, $2, $3, NULL, $4, $5, $6, NULL)",
        )
        .bind(ws.0)
        .bind(contact.0)
        .bind(serde_json::to_string(purposes).expect("purposes serialize"))
        .bind(granted)
        .bind(to_millis(at))
        .bind(how)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    let opted_out = !ENGAGEMENT.iter().any(|p| wanted(p));
    let row = sqlx::query(&format!(
        "UPDATE contacts SET engagement_level = $1, preferred_channel = $2, opted_out = $3, updated_at = $4 \
         WHERE workspace_id = $5 AND id = $6 RETURNING {CONTACT_COLUMNS}"
    ))
    .bind(choice.level.as_str())
    .bind(choice.channel.map(|c| c.as_str()))
    .bind(opted_out)
    .bind(to_millis(at))
    .bind(ws.0)
    .bind(contact.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    super::contact(&row)
}
