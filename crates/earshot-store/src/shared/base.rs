//! Workspaces, tokens, channels, conversations, messages, contacts, people and topics.

use super::*;

use crate::db_err;
use crate::queries::Bind;
use earshot_core::store::{clamp_limit, ContactQuery, Page, StoreResult};
use earshot_core::time::{now, to_millis};
use earshot_core::*;

pub(crate) fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>> {
    for b in binds {
        q = match b {
            Bind::I64(v) => q.bind(*v),
            Bind::I32(v) => q.bind(*v),
            Bind::Text(v) => q.bind(v.as_str()),
            Bind::Bool(v) => q.bind(*v),
            Bind::OptI64(v) => q.bind(*v),
            Bind::OptI32(v) => q.bind(*v),
            Bind::OptText(v) => q.bind(v.as_deref()),
            Bind::OptF64(v) => q.bind(*v),
        };
    }
    q
}

pub(crate) async fn ensure_workspace(pool: &Pool, name: &str) -> StoreResult<Workspace> {
    if name.trim().is_empty() {
        return Err(store::StoreError::Invalid("workspace name is empty".into()));
    }
    sqlx::query(
        "INSERT INTO workspaces (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(to_millis(now()))
    .execute(pool)
    .await
    .map_err(db_err)?;
    workspace_by_name(pool, name)
        .await?
        .ok_or_else(|| store::StoreError::Invalid(format!("workspace `{name}` vanished")))
}

pub(crate) async fn workspace_by_name(pool: &Pool, name: &str) -> StoreResult<Option<Workspace>> {
    sqlx::query("SELECT id, name, created_at FROM workspaces WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(|r| workspace(&r))
        .transpose()
}

pub(crate) async fn create_api_token(
    pool: &Pool,
    ws: WorkspaceId,
    label: &str,
    token_hash: &str,
) -> StoreResult<ApiTokenId> {
    let row = sqlx::query(
        "INSERT INTO api_tokens (workspace_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(ws.0)
    .bind(label)
    .bind(token_hash)
    .bind(to_millis(now()))
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(ApiTokenId(row.try_get(0).map_err(db_err)?))
}

pub(crate) async fn workspace_for_token(
    pool: &Pool,
    token_hash: &str,
) -> StoreResult<Option<(Workspace, String)>> {
    sqlx::query(
        "SELECT w.id, w.name, w.created_at, t.label FROM api_tokens t JOIN workspaces w ON w.id = t.workspace_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?
    .map(|r| Ok((workspace(&r)?, r.try_get(3).map_err(db_err)?)))
    .transpose()
}

pub(crate) async fn ensure_channel(
    pool: &Pool,
    ws: WorkspaceId,
    kind: ChannelKind,
    name: &str,
    role: ChannelRole,
) -> StoreResult<Channel> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    let id = tx::upsert_channel(&mut conn, ws, kind, name, role, to_millis(now())).await?;
    let row = sqlx::query("SELECT id, workspace_id, kind, name, role FROM channels WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    channel(&row)
}

/// Which messages of `batch` are already stored (same channel and external id): the
/// dedupe stage's lookup, before any work is spent on them.
pub(crate) async fn stored_among(
    pool: &Pool,
    ws: WorkspaceId,
    batch: &[earshot_core::Inbound],
) -> StoreResult<Vec<bool>> {
    let mut known = vec![false; batch.len()];
    if batch.is_empty() {
        return Ok(known);
    }
    let channels = list_channels(pool, ws).await?;
    let mut by_channel: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
    for (i, m) in batch.iter().enumerate() {
        let channel = channels
            .iter()
            .find(|c| c.kind == m.channel && c.name == m.account_name() && c.role == m.source);
        if let Some(c) = channel {
            by_channel.entry(c.id.0).or_default().push(i);
        }
    }
    for (channel, items) in by_channel {
        for chunk in items.chunks(500) {
            let mut sql =
                crate::queries::Sql::new("SELECT external_id FROM messages WHERE workspace_id = ");
            sql.bind(Bind::I64(ws.0))
                .push(" AND channel_id = ")
                .bind(Bind::I64(channel));
            sql.push(" AND external_id IN ");
            let ids: Vec<&str> = chunk
                .iter()
                .map(|&i| batch[i].external_id.as_str())
                .collect();
            text_list(&mut sql, &ids);
            let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
                .fetch_all(pool)
                .await
                .map_err(db_err)?;
            let mut found = std::collections::HashSet::new();
            for r in &rows {
                found.insert(r.try_get::<String, _>(0).map_err(db_err)?);
            }
            for &i in chunk {
                known[i] = found.contains(&batch[i].external_id);
            }
        }
    }
    Ok(known)
}

pub(crate) async fn list_channels(pool: &Pool, ws: WorkspaceId) -> StoreResult<Vec<Channel>> {
    sqlx::query(
        "SELECT id, workspace_id, kind, name, role FROM channels WHERE workspace_id = $1 ORDER BY id",
    )
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(channel)
    .collect()
}

pub(crate) async fn get_conversation(
    pool: &Pool,
    ws: WorkspaceId,
    id: ConversationId,
) -> StoreResult<Option<Conversation>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations c JOIN channels ch ON ch.id = c.channel_id \
         WHERE c.workspace_id = $1 AND c.id = $2"
    );
    sqlx::query(&sql)
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(|r| conversation(&r))
        .transpose()
}

pub(crate) async fn conversation_messages(
    pool: &Pool,
    ws: WorkspaceId,
    id: ConversationId,
) -> StoreResult<Vec<Message>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN channels ch ON ch.id = m.channel_id \
         WHERE +m.workspace_id = $1 AND m.conversation_id = $2 ORDER BY m.sent_at, m.id"
    );
    sqlx::query(&sql)
        .bind(ws.0)
        .bind(id.0)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(message)
        .collect()
}

pub(crate) async fn message_by_external_id(
    pool: &Pool,
    ws: WorkspaceId,
    kind: ChannelKind,
    account: &str,
    external_id: &str,
) -> StoreResult<Option<Message>> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN channels ch ON ch.id = m.channel_id \
         WHERE m.workspace_id = $1 AND m.external_id = $4 AND m.channel_id = \
         (SELECT id FROM channels WHERE workspace_id = $1 AND kind = $2 AND name = $3)"
    );
    sqlx::query(&sql)
        .bind(ws.0)
        .bind(kind.as_str())
        .bind(account)
        .bind(external_id)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(|r| message(&r))
        .transpose()
}

pub(crate) async fn list_contacts(
    pool: &Pool,
    ws: WorkspaceId,
    q: &ContactQuery,
) -> StoreResult<Page<Contact>> {
    let limit = clamp_limit(q.limit);
    // `%` and `_` in what was typed are matched as themselves.
    let pattern = q.search.as_deref().map(|s| {
        let escaped = s
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    });
    // A typed phone number (`+44 7700 900123`) is also looked for as the digits identifiers
    // keep (`447700900123`).
    let identifier_pattern = q.search.as_deref().map(|s| {
        let t = s.trim();
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        let phone_like = t
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
        if phone_like && digits.len() >= 5 {
            format!("%{digits}%")
        } else {
            pattern.clone().unwrap_or_default()
        }
    });
    let search = if pattern.is_some() {
        " AND (LOWER(display_name) LIKE $4 ESCAPE '\\' OR id IN (SELECT i.contact_id FROM identities i \
         WHERE i.workspace_id = $1 AND (LOWER(i.handle) LIKE $4 ESCAPE '\\' OR LOWER(i.display_name) LIKE $4 ESCAPE '\\' \
         OR LOWER(i.external_id) LIKE $4 ESCAPE '\\')) OR id IN (SELECT i.contact_id FROM identifiers f \
         JOIN identities i ON i.id = f.identity_id WHERE f.workspace_id = $1 AND f.value LIKE $5 ESCAPE '\\'))"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 AND id > $2 AND merged_into IS NULL \
         AND NOT brand{search} ORDER BY id LIMIT $3"
    );
    let mut query = sqlx::query(&sql)
        .bind(ws.0)
        .bind(q.after.map_or(0, |c| c.0))
        .bind(limit + 1);
    if let (Some(p), Some(f)) = (pattern, identifier_pattern) {
        query = query.bind(p).bind(f);
    }
    let rows = query.fetch_all(pool).await.map_err(db_err)?;
    let mut items = rows.iter().map(contact).collect::<StoreResult<Vec<_>>>()?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|c| c.id.0.to_string())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

pub(crate) async fn get_contact(
    pool: &Pool,
    ws: WorkspaceId,
    id: ContactId,
) -> StoreResult<Option<ContactProfile>> {
    let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 AND id = $2");
    let Some(row) = sqlx::query(&sql)
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
    else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {IDENTITY_COLUMNS} FROM identities WHERE workspace_id = $1 AND contact_id = $2 ORDER BY id"
    );
    let identities = sqlx::query(&sql)
        .bind(ws.0)
        .bind(id.0)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(identity)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(ContactProfile {
        contact: contact(&row)?,
        identities,
        identifiers: contact_identifiers(pool, ws, id).await?,
    }))
}

pub(crate) async fn recent_messages(
    pool: &Pool,
    ws: WorkspaceId,
    limit: u32,
) -> StoreResult<Vec<MessageSample>> {
    sqlx::query(
        "SELECT m.id, ch.kind, m.text, m.sent_at, i.external_id, i.handle, i.followers, i.verified \
         FROM messages m JOIN channels ch ON ch.id = m.channel_id JOIN identities i ON i.id = m.identity_id \
         WHERE m.workspace_id = $1 AND m.direction = 'in' ORDER BY m.id DESC LIMIT $2",
    )
    .bind(ws.0)
    .bind(i64::from(limit.clamp(1, 100_000)))
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(sample)
    .collect()
}

pub(crate) async fn conversation_topics(
    pool: &Pool,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Vec<(MessageId, TopicId)>> {
    let rows = sqlx::query(
        "SELECT mt.message_id, mt.topic_id FROM message_topics mt JOIN messages m ON m.id = mt.message_id \
         WHERE +m.workspace_id = $1 AND m.conversation_id = $2 ORDER BY mt.message_id, mt.topic_id",
    )
    .bind(ws.0)
    .bind(conversation.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok((
                MessageId(r.try_get(0).map_err(db_err)?),
                TopicId(r.try_get(1).map_err(db_err)?),
            ))
        })
        .collect()
}

pub(crate) async fn conversation_priority(
    pool: &Pool,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Option<earshot_core::priority::Priority>> {
    let detail: Option<Option<String>> = sqlx::query_scalar(
        "SELECT priority_detail FROM conversations WHERE workspace_id = $1 AND id = $2",
    )
    .bind(ws.0)
    .bind(conversation.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    match detail.flatten() {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| crate::corrupt("priority", &text)),
    }
}

pub(crate) async fn conversation_enrichments(
    pool: &Pool,
    ws: WorkspaceId,
    conversation: ConversationId,
) -> StoreResult<Vec<(MessageId, earshot_core::enrichment::Enrichment)>> {
    let rows = sqlx::query(
        "SELECT e.message_id, e.detail FROM message_enrichments e JOIN messages m ON m.id = e.message_id \
         WHERE +m.workspace_id = $1 AND m.conversation_id = $2 ORDER BY e.message_id",
    )
    .bind(ws.0)
    .bind(conversation.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let detail: String = r.try_get(1).map_err(db_err)?;
            let e =
                serde_json::from_str(&detail).map_err(|_| crate::corrupt("enrichment", &detail))?;
            Ok((MessageId(r.try_get(0).map_err(db_err)?), e))
        })
        .collect()
}

pub(crate) async fn unmatched_listening_counts(
    pool: &Pool,
    ws: WorkspaceId,
) -> StoreResult<Vec<(ChannelId, i64)>> {
    let rows = sqlx::query(
        "SELECT channel_id, COUNT(*) FROM listening_unmatched WHERE workspace_id = $1 \
         GROUP BY channel_id ORDER BY channel_id",
    )
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            Ok((
                ChannelId(r.try_get(0).map_err(db_err)?),
                r.try_get(1).map_err(db_err)?,
            ))
        })
        .collect()
}

/// Ingest statements identical on both databases, run in the caller's transaction.
pub(crate) mod tx {
    use super::*;
    type Conn = <Db as sqlx::Database>::Connection;

    /// The channel's id, creating it if it is new. An existing channel (every batch
    /// but the first) costs one read, not a write.
    pub(crate) async fn upsert_channel(
        conn: &mut Conn,
        ws: WorkspaceId,
        kind: ChannelKind,
        name: &str,
        role: ChannelRole,
        now: i64,
    ) -> StoreResult<ChannelId> {
        let select = "SELECT id FROM channels WHERE workspace_id = $1 AND kind = $2 AND name = $3";
        let found: Option<i64> = sqlx::query_scalar(select)
            .bind(ws.0)
            .bind(kind.as_str())
            .bind(name)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
        if let Some(id) = found {
            return Ok(ChannelId(id));
        }
        sqlx::query(
            "INSERT INTO channels (workspace_id, kind, name, role, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (workspace_id, kind, name) DO NOTHING",
        )
        .bind(ws.0)
        .bind(kind.as_str())
        .bind(name)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        // Whoever inserted it (this call or a concurrent one), it exists now.
        let id: i64 = sqlx::query_scalar(select)
            .bind(ws.0)
            .bind(kind.as_str())
            .bind(name)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
        Ok(ChannelId(id))
    }

    pub(crate) async fn update_identity(
        conn: &mut Conn,
        ws: WorkspaceId,
        r: &crate::ingest::IdentityRow,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE identities SET handle = $1, display_name = $2, followers = $3, verified = $4, updated_at = $5 \
             WHERE workspace_id = $6 AND id = $7",
        )
        .bind(&r.handle)
        .bind(&r.display_name)
        .bind(r.followers)
        .bind(r.verified)
        .bind(now)
        .bind(ws.0)
        .bind(r.id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Moves every message of `from` into `into` and deletes `from`. (The unary `+`
    /// keeps SQLite on the conversation index; PostgreSQL reads it as plain `=`.)
    pub(crate) async fn merge_conversation(
        conn: &mut Conn,
        ws: WorkspaceId,
        from: ConversationId,
        into: ConversationId,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE messages SET conversation_id = $1 WHERE conversation_id = $3 AND +workspace_id = $2")
            .bind(into.0)
            .bind(ws.0)
            .bind(from.0)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        // Its history, deliveries and tags go with its messages.
        for sql in [
            "UPDATE conversation_events SET conversation_id = $1 WHERE conversation_id = $3 AND workspace_id = $2",
            "UPDATE outbox SET conversation_id = $1 WHERE conversation_id = $3 AND workspace_id = $2",
            "INSERT INTO conversation_tags (workspace_id, conversation_id, tag) \
             SELECT workspace_id, $1, tag FROM conversation_tags WHERE conversation_id = $3 AND workspace_id = $2 \
             ON CONFLICT (conversation_id, tag) DO NOTHING",
            "DELETE FROM conversation_tags WHERE conversation_id = $3 AND workspace_id = $2",
            // Its survey too, unless `into` has one (a survey's answer stays counted either
            // way: reports read the survey's own channel, team and agent).
            "UPDATE surveys SET conversation_id = $1 WHERE conversation_id = $3 AND workspace_id = $2 \
             AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.conversation_id = $1)",
        ] {
            sqlx::query(sql)
                .bind(into.0)
                .bind(ws.0)
                .bind(from.0)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
        }
        sqlx::query(
            "INSERT INTO conversation_events (workspace_id, conversation_id, at, kind, actor, actor_id, data) \
             VALUES ($1, $2, $3, 'merged', 'system', NULL, $4)",
        )
        .bind(ws.0)
        .bind(into.0)
        .bind(to_millis(now()))
        .bind(format!("{{\"from\":{}}}", from.0))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
        sqlx::query("DELETE FROM conversations WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(from.0)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
