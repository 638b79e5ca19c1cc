//! The ingest algorithm's statements for this database (`IngestTx`): set-based, one round
//! trip per step for a whole batch.

use super::*;

#[async_trait]
impl IngestTx for SqliteTx {
    async fn channel(
        &mut self,
        ws: WorkspaceId,
        kind: ChannelKind,
        name: &str,
        role: ChannelRole,
        now: i64,
    ) -> StoreResult<ChannelId> {
        q::tx::upsert_channel(&mut self.tx, ws, kind, name, role, now).await
    }

    async fn stored_messages(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<HashMap<String, MessageId>> {
        let query = sqlx::query(
            "SELECT json_group_array(json_array(external_id, id)) FROM messages \
             WHERE workspace_id = $1 AND channel_id = $2 AND external_id IN (SELECT value FROM json_each($3))",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(json_text(&external_ids));
        let rows: Vec<(String, i64)> = self.json_rows(query).await?;
        Ok(rows.into_iter().map(|(e, id)| (e, MessageId(id))).collect())
    }

    async fn conversations_of(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<HashMap<String, ConversationId>> {
        let query = sqlx::query(
            "SELECT json_group_array(json_array(external_id, conversation_id)) FROM messages \
             WHERE workspace_id = $1 AND channel_id = $2 AND external_id IN (SELECT value FROM json_each($3))",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(json_text(&external_ids));
        let rows: Vec<(String, i64)> = self.json_rows(query).await?;
        Ok(rows
            .into_iter()
            .map(|(e, c)| (e, ConversationId(c)))
            .collect())
    }

    async fn open_conversations_of(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        kind: earshot_core::ChannelKind,
        authors: &[&str],
    ) -> StoreResult<HashMap<String, ConversationId>> {
        let query = sqlx::query(
            "SELECT json_group_array(json_array(external_id, conversation_id)) FROM \
             (SELECT i.external_id, (SELECT c.id FROM conversations c WHERE c.contact_id = i.contact_id \
               AND c.workspace_id = $1 AND c.channel_id = $2 AND c.status <> 'resolved' \
               ORDER BY c.last_message_at DESC, c.id DESC LIMIT 1) AS conversation_id \
              FROM identities i WHERE i.workspace_id = $1 AND i.kind = $3 \
              AND i.external_id IN (SELECT value FROM json_each($4))) WHERE conversation_id IS NOT NULL",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(kind.as_str())
        .bind(json_text(&authors));
        let rows: Vec<(String, i64)> = self.json_rows(query).await?;
        Ok(rows
            .into_iter()
            .map(|(e, c)| (e, ConversationId(c)))
            .collect())
    }

    async fn conversations_of_replies_to(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<Vec<(String, ConversationId)>> {
        let query = sqlx::query(
            "SELECT json_group_array(json_array(in_reply_to, conversation_id)) FROM \
             (SELECT DISTINCT in_reply_to, conversation_id FROM messages WHERE workspace_id = $1 AND channel_id = $2 \
              AND in_reply_to IN (SELECT value FROM json_each($3)))",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(json_text(&external_ids));
        let rows: Vec<(String, i64)> = self.json_rows(query).await?;
        Ok(rows
            .into_iter()
            .map(|(e, c)| (e, ConversationId(c)))
            .collect())
    }

    async fn identities(
        &mut self,
        ws: WorkspaceId,
        kind: ChannelKind,
        external_ids: &[&str],
    ) -> StoreResult<Vec<IdentityRow>> {
        let query = sqlx::query(
            "SELECT json_group_array(json_array(id, contact_id, external_id, handle, display_name, followers, verified)) \
             FROM identities WHERE workspace_id = $1 AND kind = $2 AND external_id IN (SELECT value FROM json_each($3))",
        )
        .bind(ws.0)
        .bind(kind.as_str())
        .bind(json_text(&external_ids));
        type Row = (
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
        );
        let rows: Vec<Row> = self.json_rows(query).await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, contact_id, external_id, handle, display_name, followers, verified)| {
                    IdentityRow {
                        id,
                        contact_id,
                        kind,
                        external_id,
                        handle,
                        display_name,
                        followers,
                        verified: verified != 0,
                    }
                },
            )
            .collect())
    }

    async fn allocate_ids(&mut self, table: IdTable, n: usize) -> StoreResult<Vec<i64>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        // Safe because this transaction holds SQLite's write lock (BEGIN IMMEDIATE).
        let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {}", table.name());
        let max: i64 = sqlx::query_scalar(&sql)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db_err)?;
        Ok((max + 1..=max + n as i64).collect())
    }

    async fn insert_contacts(
        &mut self,
        ws: WorkspaceId,
        rows: &[ContactRow],
        now: i64,
    ) -> StoreResult<()> {
        let data: Vec<_> = rows
            .iter()
            .map(|r| json!([r.id, r.display_name, r.brand]))
            .collect();
        sqlx::query(
            "INSERT INTO contacts (id, workspace_id, display_name, created_at, updated_at, brand) \
             SELECT value->>0, $1, value->>1, $2, $2, value->>2 FROM json_each($3)",
        )
        .bind(ws.0)
        .bind(now)
        .bind(json_text(&data))
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn insert_identities(
        &mut self,
        ws: WorkspaceId,
        rows: &[IdentityRow],
        now: i64,
    ) -> StoreResult<()> {
        let data: Vec<_> = rows
            .iter()
            .map(|r| {
                json!([
                    r.id,
                    r.contact_id,
                    r.kind.as_str(),
                    r.external_id,
                    r.handle,
                    r.display_name,
                    r.followers,
                    r.verified
                ])
            })
            .collect();
        sqlx::query(
            "INSERT INTO identities (id, workspace_id, contact_id, kind, external_id, handle, display_name, followers, verified, created_at, updated_at) \
             SELECT value->>0, $1, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, $2, $2 FROM json_each($3)",
        )
        .bind(ws.0)
        .bind(now)
        .bind(json_text(&data))
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn update_identity(
        &mut self,
        ws: WorkspaceId,
        r: &IdentityRow,
        now: i64,
    ) -> StoreResult<()> {
        q::tx::update_identity(&mut self.tx, ws, r, now).await
    }

    async fn insert_conversations(
        &mut self,
        ws: WorkspaceId,
        rows: &[ConversationRow],
        now: i64,
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let data: Vec<_> = rows
            .iter()
            .map(|r| json!([r.id, r.channel_id, r.contact_id, r.sent_at]))
            .collect();
        sqlx::query(
            "INSERT INTO conversations (id, workspace_id, channel_id, contact_id, status, priority, message_count, \
             first_message_at, last_message_at, waiting_key, created_at, updated_at) \
             SELECT value->>0, $1, value->>1, value->>2, 'new', 0, 0, value->>3, value->>3, $2, $3, $3 FROM json_each($4)",
        )
        .bind(ws.0)
        .bind(i64::MAX)
        .bind(now)
        .bind(json_text(&data))
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn merge_conversation(
        &mut self,
        ws: WorkspaceId,
        from: ConversationId,
        into: ConversationId,
    ) -> StoreResult<()> {
        q::tx::merge_conversation(&mut self.tx, ws, from, into).await
    }

    async fn insert_messages(
        &mut self,
        ws: WorkspaceId,
        rows: &[MessageRow<'_>],
        now: i64,
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let data: Vec<_> = rows
            .iter()
            .map(|r| {
                let m = r.inbound;
                json!([
                    r.id,
                    r.channel_id,
                    r.conversation_id,
                    r.identity_id,
                    m.external_id,
                    m.direction.as_str(),
                    m.visibility.as_str(),
                    m.text,
                    m.created_at.timestamp_millis(),
                    m.in_reply_to,
                    r.raw,
                    m.automated,
                    crate::ingest::attachments_json(m)
                ])
            })
            .collect();
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, channel_id, conversation_id, identity_id, external_id, direction, \
             visibility, text, sent_at, received_at, in_reply_to, raw, automated, attachments) \
             SELECT value->>0, $1, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, \
             value->>8, $2, value->>9, value->>10, value->>11, value->>12 FROM json_each($3)",
        )
        .bind(ws.0)
        .bind(now)
        .bind(json_text(&data))
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn timelines(
        &mut self,
        ws: WorkspaceId,
        ids: &[i64],
    ) -> StoreResult<HashMap<i64, Current>> {
        // `+workspace_id`: see `update_conversations`; the batch's ids must drive the lookup.
        let ids = json_text(&ids);
        let statuses = sqlx::query(
            "SELECT json_group_array(json_array(id, status, priority, sla_due_at)) FROM conversations \
             WHERE id IN (SELECT value FROM json_each($2)) AND +workspace_id = $1",
        )
        .bind(ws.0)
        .bind(&ids);
        let statuses: Vec<(i64, String, i32, Option<i64>)> = self.json_rows(statuses).await?;
        let entries = sqlx::query(
            "SELECT json_group_array(json_array(conversation_id, direction, sent_at, automated)) FROM messages \
             WHERE conversation_id IN (SELECT value FROM json_each($2)) AND +workspace_id = $1",
        )
        .bind(ws.0)
        .bind(&ids);
        let entries: Vec<(i64, String, i64, i64)> = self.json_rows(entries).await?;
        let mut out = HashMap::new();
        for (id, status, priority, sla_due) in statuses {
            let status = status.parse().map_err(|_| corrupt("status", &status))?;
            out.insert(
                id,
                Current {
                    status,
                    priority,
                    sla_due,
                    entries: Vec::new(),
                },
            );
        }
        for (id, direction, sent_at, automated) in entries {
            let entry = TimelineEntry {
                direction: direction
                    .parse()
                    .map_err(|_| corrupt("direction", &direction))?,
                sent_at: earshot_core::time::from_millis(sent_at),
                automated: automated != 0,
            };
            if let Some(c) = out.get_mut(&id) {
                c.entries.push(entry);
            }
        }
        Ok(out)
    }

    /// The unary `+` on the workspace term keeps SQLite from driving this join from an
    /// index on `conversations.workspace_id` (a scan of the whole workspace per batch); this
    /// way `json_each` drives and each row is a primary-key lookup.
    async fn update_conversations(
        &mut self,
        ws: WorkspaceId,
        rows: &[ConversationUpdate],
        now: i64,
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let data: Vec<_> = rows
            .iter()
            .map(|u| {
                let t = &u.timeline;
                json!([
                    u.id,
                    u.status.as_str(),
                    t.message_count,
                    t.first_message_at.timestamp_millis(),
                    t.last_message_at.timestamp_millis(),
                    t.first_response_at.map(|x| x.timestamp_millis()),
                    t.waiting_since.map(|x| x.timestamp_millis()),
                    u.waiting_key(),
                    u.priority.as_ref().map(|p| p.0),
                    u.priority.as_ref().and_then(|p| p.1.as_deref()),
                    u.sla_due.is_some(),
                    u.sla_due.flatten().map(|d| d.0),
                    u.sla_due.flatten().map(|d| d.1),
                    u.mood.as_ref().map(|m| m.0.as_str()),
                    u.mood.as_ref().map(|m| m.1.as_str())
                ])
            })
            .collect();
        sqlx::query(
            "UPDATE conversations SET status = u.value->>1, message_count = u.value->>2, \
             first_message_at = u.value->>3, last_message_at = u.value->>4, first_response_at = u.value->>5, \
             waiting_since = u.value->>6, waiting_key = u.value->>7, updated_at = $2, \
             priority = COALESCE(u.value->>8, conversations.priority), \
             priority_detail = CASE WHEN u.value->>8 IS NOT NULL THEN u.value->>9 ELSE conversations.priority_detail END, \
             sla_due_at = CASE WHEN u.value->>10 THEN u.value->>11 ELSE conversations.sla_due_at END, \
             sla_warn_at = CASE WHEN u.value->>10 THEN u.value->>12 ELSE conversations.sla_warn_at END, \
             sentiment = COALESCE(u.value->>13, conversations.sentiment), \
             intents = COALESCE(u.value->>14, conversations.intents) \
             FROM json_each($3) AS u WHERE conversations.id = u.value->>0 AND +conversations.workspace_id = $1",
        )
        .bind(ws.0)
        .bind(now)
        .bind(json_text(&data))
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn counted_unmatched(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<std::collections::HashSet<String>> {
        let query = sqlx::query(
            "SELECT json_group_array(external_id) FROM listening_unmatched \
             WHERE workspace_id = $1 AND channel_id = $2 AND external_id IN (SELECT value FROM json_each($3))",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(json_text(&external_ids));
        let ids: Vec<String> = self.json_rows(query).await?;
        Ok(ids.into_iter().collect())
    }

    async fn insert_unmatched(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        rows: &[crate::ingest::Unmatched<'_>],
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let rows = json_text(&rows);
        for sql in [
            "INSERT INTO listening_unmatched (workspace_id, channel_id, external_id, sent_at) \
             SELECT $1, $2, value->>'external_id', value->>'sent_at' FROM json_each($3) WHERE true ON CONFLICT DO NOTHING",
            "INSERT INTO listening_heard (workspace_id, channel_id, external_id, sent_at, heard_at, author_id, text, post) \
             SELECT $1, $2, value->>'external_id', value->>'sent_at', value->>'heard_at', value->>'author_id', value->>'text', value->>'post' \
             FROM json_each($3) WHERE true ON CONFLICT DO NOTHING",
        ] {
            sqlx::query(sql)
                .bind(ws.0)
                .bind(channel.0)
                .bind(&rows)
                .execute(&mut *self.tx)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    fn held_events(&mut self) -> &mut Vec<crate::ingest::EventRow> {
        &mut self.held
    }

    async fn insert_events(
        &mut self,
        ws: WorkspaceId,
        rows: &[crate::ingest::EventRow],
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO conversation_events (workspace_id, conversation_id, at, kind, actor, actor_id, data) \
             SELECT $1, value->>0, value->>1, value->>2, 'system', NULL, value->>3 FROM json_each($2)",
        )
        .bind(ws.0)
        .bind(json_text(&rows))
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn insert_message_topics(
        &mut self,
        ws: WorkspaceId,
        rows: &[(i64, i64)],
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO message_topics (workspace_id, message_id, topic_id) \
             SELECT $1, value->>0, value->>1 FROM json_each($2) WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(ws.0)
        .bind(json_text(&rows))
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn insert_enrichments(
        &mut self,
        ws: WorkspaceId,
        rows: &[EnrichmentRow],
    ) -> StoreResult<()> {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.message_id,
                    &r.language,
                    &r.sentiment,
                    r.polarity,
                    r.urgency,
                    &r.intents,
                    &r.detail,
                )
            })
            .collect();
        sqlx::query(
            "INSERT INTO message_enrichments \
             (message_id, workspace_id, language, sentiment, polarity, urgency, intents, detail) \
             SELECT value->>0, $1, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6 \
             FROM json_each($2) WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(ws.0)
        .bind(json_text(&rows))
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
