//! The right to erasure, in one transaction serialized with ingest: every row that holds the
//! person (their messages and the conversations they had, native payloads, enrichments,
//! identities and identifiers, consent, merges and the contacts merged into them, replies and
//! webhooks queued for them, processed webhook calls of their channels) is deleted; what is
//! left is a salted hash per identity, so a re-import or a re-delivery stores nothing
//! (`IngestOutcome::Erased`), and a line on the privacy log with counts only.

use super::*;
use earshot_core::privacy::{tombstone, Erasure, PrivacyEvent};
use earshot_core::ContactId;

async fn ids(tx: &mut Tx<'static>, sql: &str, ws: WorkspaceId) -> StoreResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(sql)
        .bind(ws.0)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

async fn exec(tx: &mut Tx<'static>, sql: &str, ws: WorkspaceId) -> StoreResult<u64> {
    Ok(sqlx::query(sql)
        .bind(ws.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?
        .rows_affected())
}

/// The workspace's erasure salt, made at its first erasure.
async fn salt_in(tx: &mut Tx<'static>, ws: WorkspaceId) -> StoreResult<String> {
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    sqlx::query("UPDATE workspaces SET erasure_salt = $1 WHERE id = $2 AND erasure_salt IS NULL")
        .bind(&fresh)
        .bind(ws.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    let (salt,): (String,) = sqlx::query_as("SELECT erasure_salt FROM workspaces WHERE id = $1")
        .bind(ws.0)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(salt)
}

/// The salt, when the workspace ever erased anyone (ingest checks tombstones only then).
pub(crate) async fn erasure_salt_in(
    tx: &mut Tx<'static>,
    ws: WorkspaceId,
) -> StoreResult<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT erasure_salt FROM workspaces WHERE id = $1")
            .bind(ws.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
    Ok(row.and_then(|r| r.0))
}

/// Which of `hashes` are tombstones of erased identities.
pub(crate) async fn erased_among_in(
    tx: &mut Tx<'static>,
    ws: WorkspaceId,
    hashes: &[String],
) -> StoreResult<std::collections::HashSet<String>> {
    if hashes.is_empty() {
        return Ok(Default::default());
    }
    let refs: Vec<&str> = hashes.iter().map(String::as_str).collect();
    let mut sql =
        crate::queries::Sql::new("SELECT hash FROM erased_identities WHERE workspace_id = ");
    sql.bind(Bind::I64(ws.0)).push(" AND hash IN ");
    text_list(&mut sql, &refs);
    let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map_err(db_err))
        .collect()
}

/// An order's email, phone and shop customer id.
type OrderNames = (Option<String>, Option<String>, Option<String>);

pub(crate) async fn erase_contact(
    store: &Backend,
    ws: WorkspaceId,
    id: ContactId,
    actor: &str,
    at: earshot_core::time::Timestamp,
) -> StoreResult<Erasure> {
    let mut unit = store.begin_unit(ws).await?;
    let tx = &mut unit.tx;
    let state: Option<(Option<i64>, bool)> = sqlx::query_as(
        "SELECT merged_into, brand FROM contacts WHERE workspace_id = $1 AND id = $2",
    )
    .bind(ws.0)
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    match state {
        None => {
            return Err(StoreError::NotFound {
                what: "contact",
                id: id.0,
            })
        }
        Some((Some(into), _)) => {
            return Err(StoreError::Conflict(format!(
                "contact {} was merged into contact {into}; erase that one",
                id.0
            )))
        }
        Some((None, true)) => {
            return Err(StoreError::Invalid(format!(
                "contact {} is one of the brand's own accounts, not a customer",
                id.0
            )))
        }
        Some((None, false)) => {}
    }
    // The contact and every contact merged into it (and into those), kept for undo.
    let mut contacts = vec![id.0];
    let mut frontier = vec![id.0];
    while !frontier.is_empty() {
        let found = ids(
            tx,
            &format!(
                "SELECT id FROM contacts WHERE workspace_id = $1 AND merged_into IN {}",
                in_list(&frontier)
            ),
            ws,
        )
        .await?;
        frontier = found
            .into_iter()
            .filter(|c| !contacts.contains(c))
            .collect();
        contacts.extend(&frontier);
    }
    let cs = in_list(&contacts);
    let identities: Vec<(i64, String, String)> = sqlx::query_as(&format!(
        "SELECT id, kind, external_id FROM identities WHERE workspace_id = $1 AND contact_id IN {cs}"
    ))
    .bind(ws.0)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?;
    let idents = in_list(&identities.iter().map(|i| i.0).collect::<Vec<_>>());
    let all_conversations = ids(
        tx,
        &format!("SELECT id FROM conversations WHERE workspace_id = $1 AND contact_id IN {cs}"),
        ws,
    )
    .await?;
    // A thread other customers wrote in too (comments under a post) is theirs as well: only
    // the person's own messages go, and the thread passes to the next customer in it.
    let shared = ids(
        tx,
        &format!(
            "SELECT DISTINCT conversation_id FROM messages WHERE +workspace_id = $1 AND conversation_id IN {} \
             AND direction = 'in' AND identity_id NOT IN {idents}",
            in_list(&all_conversations)
        ),
        ws,
    )
    .await?;
    let conversations: Vec<i64> = all_conversations
        .iter()
        .copied()
        .filter(|c| !shared.contains(c))
        .collect();
    let convs = in_list(&conversations);
    let messages = ids(
        tx,
        &format!(
            "SELECT id FROM messages WHERE workspace_id = $1 AND (conversation_id IN {convs} OR identity_id IN {idents})"
        ),
        ws,
    )
    .await?;
    let msgs = in_list(&messages);
    // Each deleted message is tombstoned too (the brand's answers come back in re-imports).
    let deleted_messages: Vec<(String, String)> = sqlx::query_as(&format!(
        "SELECT c.kind, m.external_id FROM messages m JOIN channels c ON c.id = m.channel_id \
         WHERE m.workspace_id = $1 AND m.id IN {msgs}"
    ))
    .bind(ws.0)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?;
    let channels = ids(
        tx,
        &format!(
            "SELECT DISTINCT channel_id FROM messages WHERE workspace_id = $1 AND id IN {msgs}"
        ),
        ws,
    )
    .await?;

    let outbox = exec(
        tx,
        &format!(
            "DELETE FROM outbox WHERE workspace_id = $1 AND (conversation_id IN {convs} OR message_id IN {msgs})"
        ),
        ws,
    )
    .await?;
    // The verified emails and numbers are the person's own (a claimed one may be someone
    // else's): unmatched orders naming them go too, and they are tombstoned.
    let own: Vec<(String, String)> = sqlx::query_as(&format!(
        "SELECT DISTINCT kind, value FROM identifiers WHERE workspace_id = $1 AND verified AND identity_id IN {idents}"
    ))
    .bind(ws.0)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?;
    // What her orders name her by is tombstoned too, so a re-import stores none of them.
    let order_names: Vec<OrderNames> = sqlx::query_as(&format!(
        "SELECT DISTINCT email, phone, customer_ref FROM orders WHERE workspace_id = $1 AND contact_id IN {cs}"
    ))
    .bind(ws.0)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?;
    let orders = {
        let mut sql = crate::queries::Sql::new("DELETE FROM orders WHERE workspace_id = ");
        sql.bind(Bind::I64(ws.0))
            .push(&format!(" AND (contact_id IN {cs}"));
        for kind in ["email", "phone"] {
            let values: Vec<&str> = own
                .iter()
                .filter(|(k, _)| k == kind)
                .map(|(_, v)| v.as_str())
                .collect();
            if !values.is_empty() {
                sql.push(&format!(" OR (contact_id IS NULL AND {kind} IN "));
                text_list(&mut sql, &values);
                sql.push(")");
            }
        }
        sql.push(")");
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?
            .rows_affected()
    };
    let shared_list = in_list(&shared);
    for sql in [
        format!(
            "UPDATE conversations SET contact_id = (SELECT i.contact_id FROM messages m JOIN identities i ON i.id = m.identity_id \
             WHERE m.conversation_id = conversations.id AND m.direction = 'in' AND m.identity_id NOT IN {idents} \
             ORDER BY m.sent_at, m.id LIMIT 1) WHERE workspace_id = $1 AND id IN {shared_list}"
        ),
        format!("DELETE FROM surveys WHERE workspace_id = $1 AND (contact_id IN {cs} OR conversation_id IN {convs})"),
        format!("DELETE FROM consent_events WHERE workspace_id = $1 AND contact_id IN {cs}"),
        format!("UPDATE consent_events SET message_id = NULL WHERE workspace_id = $1 AND message_id IN {msgs}"),
        format!("DELETE FROM identifiers WHERE workspace_id = $1 AND identity_id IN {idents}"),
        format!("UPDATE identifiers SET message_id = NULL WHERE workspace_id = $1 AND message_id IN {msgs}"),
        format!("DELETE FROM identity_keys WHERE workspace_id = $1 AND identity_id IN {idents}"),
        format!("DELETE FROM message_topics WHERE workspace_id = $1 AND message_id IN {msgs}"),
        format!("DELETE FROM message_enrichments WHERE workspace_id = $1 AND message_id IN {msgs}"),
        format!("DELETE FROM conversation_events WHERE workspace_id = $1 AND conversation_id IN {convs}"),
        format!("DELETE FROM conversation_tags WHERE workspace_id = $1 AND conversation_id IN {convs}"),
        format!("DELETE FROM messages WHERE workspace_id = $1 AND id IN {msgs}"),
        format!("DELETE FROM conversations WHERE workspace_id = $1 AND id IN {convs}"),
        format!("DELETE FROM identities WHERE workspace_id = $1 AND id IN {idents}"),
        format!("DELETE FROM contact_match_rejections WHERE workspace_id = $1 AND (lo IN {cs} OR hi IN {cs})"),
        format!("DELETE FROM contact_merges WHERE workspace_id = $1 AND (into_id IN {cs} OR from_id IN {cs})"),
        format!("UPDATE contacts SET merged_into = NULL WHERE workspace_id = $1 AND id IN {cs}"),
        format!("DELETE FROM contacts WHERE workspace_id = $1 AND id IN {cs}"),
        // Their native payloads, as webhooks delivered them; the messages of the other
        // customers in those calls are stored already.
        format!("DELETE FROM webhook_calls WHERE workspace_id = $1 AND processed_at IS NOT NULL AND channel_id IN {}", in_list(&channels)),
    ] {
        exec(tx, &sql, ws).await?;
    }
    // What they said in listening posts that matched no topic (kept a week for agents).
    if !identities.is_empty() {
        let authors: Vec<&str> = identities.iter().map(|i| i.2.as_str()).collect();
        let mut sql = crate::queries::Sql::new("DELETE FROM listening_heard WHERE workspace_id = ");
        sql.bind(Bind::I64(ws.0)).push(" AND author_id IN ");
        text_list(&mut sql, &authors);
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    // The threads that stay lost the person's messages: their figures are worked out again.
    crate::ingest::recompute_timelines(&mut unit, ws, &shared, to_millis(at)).await?;
    let tx = &mut unit.tx;
    let salt = salt_in(tx, ws).await?;
    for (_, kind, external) in &identities {
        let kind: ChannelKind = kind
            .parse()
            .map_err(|_| crate::corrupt("identity kind", kind))?;
        sqlx::query(
            "INSERT INTO erased_identities (workspace_id, hash, erased_at) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, hash) DO NOTHING",
        )
        .bind(ws.0)
        .bind(tombstone(&salt, kind, external))
        .bind(to_millis(at))
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    let mut hashes: Vec<String> = Vec::new();
    for (kind, value) in &own {
        let kind = earshot_core::identifiers::IdentifierKind::parse(kind)
            .ok_or_else(|| crate::corrupt("identifier kind", kind))?;
        hashes.push(earshot_core::privacy::identifier_tombstone(
            &salt, kind, value,
        ));
    }
    for (email, phone, customer_ref) in &order_names {
        use earshot_core::identifiers::IdentifierKind;
        use earshot_core::privacy::{customer_ref_tombstone, identifier_tombstone};
        hashes.extend(
            email
                .iter()
                .map(|e| identifier_tombstone(&salt, IdentifierKind::Email, e)),
        );
        hashes.extend(
            phone
                .iter()
                .map(|p| identifier_tombstone(&salt, IdentifierKind::Phone, p)),
        );
        hashes.extend(
            customer_ref
                .iter()
                .map(|r| customer_ref_tombstone(&salt, r)),
        );
    }
    for (kind, external) in &deleted_messages {
        let kind: ChannelKind = kind
            .parse()
            .map_err(|_| crate::corrupt("channel kind", kind))?;
        hashes.push(earshot_core::privacy::message_tombstone(
            &salt, kind, external,
        ));
    }
    hashes.sort();
    hashes.dedup();
    for hash in &hashes {
        sqlx::query(
            "INSERT INTO erased_identities (workspace_id, hash, erased_at) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, hash) DO NOTHING",
        )
        .bind(ws.0)
        .bind(hash)
        .bind(to_millis(at))
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    let erasure = Erasure {
        contact_id: id,
        identities: identities.len() as u64,
        conversations: conversations.len() as u64,
        messages: messages.len() as u64,
        merged_contacts: contacts.len() as u64 - 1,
        outbox,
        orders,
        erased_at: at,
    };
    log_in(
        tx,
        ws,
        "erase",
        id,
        actor,
        at,
        &serde_json::json!({
            "identities": erasure.identities,
            "conversations": erasure.conversations,
            "messages": erasure.messages,
            "merged_contacts": erasure.merged_contacts,
            "outbox": erasure.outbox,
            "orders": erasure.orders,
        }),
    )
    .await?;
    unit.finish().await?;
    Ok(erasure)
}

async fn log_in(
    tx: &mut Tx<'static>,
    ws: WorkspaceId,
    action: &str,
    contact: ContactId,
    actor: &str,
    at: earshot_core::time::Timestamp,
    detail: &serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO privacy_log (workspace_id, action, contact_id, actor, at, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ws.0)
    .bind(action)
    .bind(contact.0)
    .bind(actor)
    .bind(to_millis(at))
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// Appends a privacy action other than erasure (an export) to the log.
pub(crate) async fn log_privacy(
    pool: &Pool,
    ws: WorkspaceId,
    action: &str,
    contact: ContactId,
    actor: &str,
    at: earshot_core::time::Timestamp,
    detail: &serde_json::Value,
) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    log_in(&mut tx, ws, action, contact, actor, at, detail).await?;
    tx.commit().await.map_err(db_err)
}

/// The privacy log, newest first.
pub(crate) async fn privacy_log(
    pool: &Pool,
    ws: WorkspaceId,
    limit: u32,
) -> StoreResult<Vec<PrivacyEvent>> {
    let rows: Vec<(i64, String, i64, String, i64, String)> = sqlx::query_as(
        "SELECT id, action, contact_id, actor, at, detail FROM privacy_log WHERE workspace_id = $1 \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(ws.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter()
        .map(|(id, action, contact, actor, at, detail)| {
            Ok(PrivacyEvent {
                id,
                action,
                contact_id: (contact != 0).then_some(ContactId(contact)),
                actor,
                at: earshot_core::time::from_millis(at),
                detail: serde_json::from_str(&detail)
                    .map_err(|_| crate::corrupt("privacy log detail", &detail))?,
            })
        })
        .collect()
}

/// Sets (`Some(days)`) or removes (`None`) the workspace's retention, on one channel or on
/// all (`channel: None`).
pub(crate) async fn set_retention(
    pool: &Pool,
    ws: WorkspaceId,
    channel: Option<earshot_core::ChannelId>,
    days: Option<u32>,
) -> StoreResult<()> {
    let channel = channel.map_or(0, |c| c.0);
    match days {
        Some(days) => sqlx::query(
            "INSERT INTO retention_policies (workspace_id, channel_id, days) VALUES ($1, $2, $3) \
             ON CONFLICT (workspace_id, channel_id) DO UPDATE SET days = excluded.days",
        )
        .bind(ws.0)
        .bind(channel)
        .bind(i64::from(days))
        .execute(pool)
        .await
        .map_err(db_err)?,
        None => sqlx::query(
            "DELETE FROM retention_policies WHERE workspace_id = $1 AND channel_id = $2",
        )
        .bind(ws.0)
        .bind(channel)
        .execute(pool)
        .await
        .map_err(db_err)?,
    };
    Ok(())
}

pub(crate) async fn retention_policies(
    pool: &Pool,
    ws: WorkspaceId,
) -> StoreResult<Vec<earshot_core::privacy::RetentionPolicy>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT channel_id, days FROM retention_policies WHERE workspace_id = $1 ORDER BY channel_id",
    )
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    Ok(rows
        .into_iter()
        .map(|(c, days)| earshot_core::privacy::RetentionPolicy {
            channel_id: (c != 0).then_some(earshot_core::ChannelId(c)),
            days: days as u32,
        })
        .collect())
}

/// Deletes up to `limit` messages older than their workspace's retention (a channel's own
/// policy overrides the workspace's), with what hangs on them, and the conversations they
/// leave empty. The consent ledger and claimed identifiers stay, without the message.
pub(crate) async fn apply_retention(
    store: &Backend,
    now: earshot_core::time::Timestamp,
    limit: u32,
) -> StoreResult<earshot_core::privacy::RetentionPass> {
    let policies: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT workspace_id, channel_id, days FROM retention_policies ORDER BY workspace_id, channel_id")
            .fetch_all(store.reader())
            .await
            .map_err(db_err)?;
    let mut pass = earshot_core::privacy::RetentionPass::default();
    let mut left = i64::from(limit);
    // What unmatched listening posts said is kept a week (`HEARD_FOR_DAYS`), whatever the
    // policies; a shorter policy forgets it sooner, below.
    let week = to_millis(now) - earshot_core::store::HEARD_FOR_DAYS * 86_400_000;
    let workspaces: Vec<i64> = sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id")
        .fetch_all(store.reader())
        .await
        .map_err(db_err)?;
    for ws in workspaces {
        let budget = i64::from(limit) - pass.heard as i64;
        if budget <= 0 {
            pass.more = true;
            break;
        }
        pass.heard += sqlx::query(
            "DELETE FROM listening_heard WHERE (workspace_id, channel_id, external_id) IN \
             (SELECT workspace_id, channel_id, external_id FROM listening_heard \
              WHERE workspace_id = $1 AND heard_at < $2 LIMIT $3)",
        )
        .bind(ws)
        .bind(week)
        .bind(budget)
        .execute(store.writer())
        .await
        .map_err(db_err)?
        .rows_affected();
    }
    if pass.heard >= u64::from(limit) {
        pass.more = true;
    }
    for (ws, channel, days) in policies {
        if left <= 0 {
            pass.more = true;
            break;
        }
        let ws = WorkspaceId(ws);
        let cutoff = to_millis(now) - days * 86_400_000;
        let scope = if channel == 0 {
            "AND channel_id NOT IN (SELECT channel_id FROM retention_policies WHERE workspace_id = $1 AND channel_id <> 0)".to_string()
        } else {
            format!("AND channel_id = {channel}")
        };
        let mut unit = store.begin_unit(ws).await?;
        let tx = &mut unit.tx;
        if days < earshot_core::store::HEARD_FOR_DAYS {
            pass.heard += sqlx::query(&format!(
                "DELETE FROM listening_heard WHERE workspace_id = $1 AND sent_at < $2 {scope}"
            ))
            .bind(ws.0)
            .bind(cutoff)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT id, conversation_id FROM messages WHERE workspace_id = $1 AND sent_at < $2 {scope} ORDER BY sent_at, id LIMIT $3"
        ))
        .bind(ws.0)
        .bind(cutoff)
        .bind(left)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        if rows.is_empty() {
            unit.finish().await?;
            continue;
        }
        left -= rows.len() as i64;
        if left <= 0 {
            pass.more = true;
        }
        let msgs = in_list(&rows.iter().map(|r| r.0).collect::<Vec<_>>());
        let mut touched: Vec<i64> = rows.iter().map(|r| r.1).collect();
        touched.sort_unstable();
        touched.dedup();
        for sql in [
            format!("UPDATE consent_events SET message_id = NULL WHERE workspace_id = $1 AND message_id IN {msgs}"),
            format!("UPDATE identifiers SET message_id = NULL WHERE workspace_id = $1 AND message_id IN {msgs}"),
            format!("UPDATE outbox SET message_id = NULL WHERE workspace_id = $1 AND message_id IN {msgs}"),
            // A survey's score stays counted; the comment was the message's words.
            format!("UPDATE surveys SET comment = NULL WHERE workspace_id = $1 AND answer_message_id IN {msgs}"),
            format!("DELETE FROM message_topics WHERE workspace_id = $1 AND message_id IN {msgs}"),
            format!("DELETE FROM message_enrichments WHERE workspace_id = $1 AND message_id IN {msgs}"),
            format!("DELETE FROM messages WHERE workspace_id = $1 AND id IN {msgs}"),
        ] {
            exec(tx, &sql, ws).await?;
        }
        pass.messages += rows.len() as u64;
        let empty = ids(
            tx,
            &format!(
                "SELECT id FROM conversations c WHERE workspace_id = $1 AND id IN {} \
                 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)",
                in_list(&touched)
            ),
            ws,
        )
        .await?;
        let survivors: Vec<i64> = touched
            .iter()
            .copied()
            .filter(|c| !empty.contains(c))
            .collect();
        if !empty.is_empty() {
            let convs = in_list(&empty);
            for sql in [
                format!("DELETE FROM outbox WHERE workspace_id = $1 AND conversation_id IN {convs}"),
                format!("DELETE FROM conversation_events WHERE workspace_id = $1 AND conversation_id IN {convs}"),
                format!("DELETE FROM conversation_tags WHERE workspace_id = $1 AND conversation_id IN {convs}"),
                format!("DELETE FROM conversations WHERE workspace_id = $1 AND id IN {convs}"),
            ] {
                exec(tx, &sql, ws).await?;
            }
            pass.conversations += empty.len() as u64;
        }
        crate::ingest::recompute_timelines(&mut unit, ws, &survivors, to_millis(now)).await?;
        let tx = &mut unit.tx;
        log_in(
            tx,
            ws,
            "retention",
            ContactId(0),
            "retention",
            now,
            &serde_json::json!({"messages": rows.len(), "conversations": empty.len(), "days": days,
                                "channel_id": (channel != 0).then_some(channel)}),
        )
        .await?;
        unit.finish().await?;
    }
    Ok(pass)
}
