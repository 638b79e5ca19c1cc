//! The ingest algorithm's statements for this database (`IngestTx`): set-based, one round
//! trip per step for a whole batch.

use super::*;

#[async_trait]
impl IngestTx for PgTx {
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
        let rows = sqlx::query(
            "SELECT external_id, id FROM messages WHERE workspace_id = $1 AND channel_id = $2 AND external_id = ANY($3)",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(external_ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        pairs(&rows, MessageId)
    }

    async fn conversations_of(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<HashMap<String, ConversationId>> {
        let rows = sqlx::query(
            "SELECT external_id, conversation_id FROM messages WHERE workspace_id = $1 AND channel_id = $2 \
             AND external_id = ANY($3)",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(external_ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        pairs(&rows, ConversationId)
    }

    async fn open_conversations_of(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        kind: earshot_core::ChannelKind,
        authors: &[&str],
    ) -> StoreResult<HashMap<String, ConversationId>> {
        let rows = sqlx::query(
            "SELECT i.external_id, c.id FROM identities i CROSS JOIN LATERAL \
             (SELECT id FROM conversations WHERE contact_id = i.contact_id AND workspace_id = $1 \
              AND channel_id = $2 AND status <> 'resolved' ORDER BY last_message_at DESC, id DESC LIMIT 1) c \
             WHERE i.workspace_id = $1 AND i.kind = $3 AND i.external_id = ANY($4)",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(kind.as_str())
        .bind(authors)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        pairs(&rows, ConversationId)
    }

    async fn conversations_of_replies_to(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<Vec<(String, ConversationId)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT in_reply_to, conversation_id FROM messages WHERE workspace_id = $1 AND channel_id = $2 \
             AND in_reply_to = ANY($3)",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(external_ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        pair_list(&rows, ConversationId)
    }

    async fn identities(
        &mut self,
        ws: WorkspaceId,
        kind: ChannelKind,
        external_ids: &[&str],
    ) -> StoreResult<Vec<IdentityRow>> {
        let rows = sqlx::query(
            "SELECT id, contact_id, external_id, handle, display_name, followers, verified FROM identities \
             WHERE workspace_id = $1 AND kind = $2 AND external_id = ANY($3)",
        )
        .bind(ws.0)
        .bind(kind.as_str())
        .bind(external_ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(IdentityRow {
                    id: r.try_get(0).map_err(db_err)?,
                    contact_id: r.try_get(1).map_err(db_err)?,
                    kind,
                    external_id: r.try_get(2).map_err(db_err)?,
                    handle: r.try_get(3).map_err(db_err)?,
                    display_name: r.try_get(4).map_err(db_err)?,
                    followers: r.try_get(5).map_err(db_err)?,
                    verified: r.try_get(6).map_err(db_err)?,
                })
            })
            .collect()
    }

    async fn allocate_ids(&mut self, table: IdTable, n: usize) -> StoreResult<Vec<i64>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
        )
        .bind(table.name())
        .bind(n as i64)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)
    }

    async fn insert_contacts(
        &mut self,
        ws: WorkspaceId,
        rows: &[ContactRow],
        now: i64,
    ) -> StoreResult<()> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let names: Vec<Option<&str>> = rows.iter().map(|r| r.display_name.as_deref()).collect();
        let brand: Vec<bool> = rows.iter().map(|r| r.brand).collect();
        sqlx::query(
            "INSERT INTO contacts (id, workspace_id, display_name, created_at, updated_at, brand) \
             SELECT u.id, $1, u.name, $2, $2, u.brand FROM UNNEST($3::bigint[], $4::text[], $5::boolean[]) \
             AS u(id, name, brand)",
        )
        .bind(ws.0)
        .bind(now)
        .bind(&ids)
        .bind(&names)
        .bind(&brand)
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
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let contacts: Vec<i64> = rows.iter().map(|r| r.contact_id).collect();
        let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
        let externals: Vec<&str> = rows.iter().map(|r| r.external_id.as_str()).collect();
        let handles: Vec<Option<&str>> = rows.iter().map(|r| r.handle.as_deref()).collect();
        let names: Vec<Option<&str>> = rows.iter().map(|r| r.display_name.as_deref()).collect();
        let followers: Vec<Option<i64>> = rows.iter().map(|r| r.followers).collect();
        let verified: Vec<bool> = rows.iter().map(|r| r.verified).collect();
        sqlx::query(
            "INSERT INTO identities (id, workspace_id, contact_id, kind, external_id, handle, display_name, followers, verified, created_at, updated_at) \
             SELECT u.id, $1, u.contact_id, u.kind, u.external_id, u.handle, u.display_name, u.followers, u.verified, $2, $2 \
             FROM UNNEST($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::boolean[]) \
             AS u(id, contact_id, kind, external_id, handle, display_name, followers, verified)",
        )
        .bind(ws.0)
        .bind(now)
        .bind(&ids)
        .bind(&contacts)
        .bind(&kinds)
        .bind(&externals)
        .bind(&handles)
        .bind(&names)
        .bind(&followers)
        .bind(&verified)
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
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let channels: Vec<i64> = rows.iter().map(|r| r.channel_id).collect();
        let contacts: Vec<i64> = rows.iter().map(|r| r.contact_id).collect();
        let sent: Vec<i64> = rows.iter().map(|r| r.sent_at).collect();
        sqlx::query(
            "INSERT INTO conversations (id, workspace_id, channel_id, contact_id, status, priority, message_count, \
             first_message_at, last_message_at, waiting_key, created_at, updated_at) \
             SELECT u.id, $1, u.channel_id, u.contact_id, 'new', 0, 0, u.sent_at, u.sent_at, $2, $3, $3 \
             FROM UNNEST($4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) AS u(id, channel_id, contact_id, sent_at)",
        )
        .bind(ws.0)
        .bind(i64::MAX)
        .bind(now)
        .bind(&ids)
        .bind(&channels)
        .bind(&contacts)
        .bind(&sent)
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
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let channels: Vec<i64> = rows.iter().map(|r| r.channel_id).collect();
        let conversations: Vec<i64> = rows.iter().map(|r| r.conversation_id).collect();
        let identities: Vec<i64> = rows.iter().map(|r| r.identity_id).collect();
        let externals: Vec<&str> = rows
            .iter()
            .map(|r| r.inbound.external_id.as_str())
            .collect();
        let directions: Vec<&str> = rows.iter().map(|r| r.inbound.direction.as_str()).collect();
        let visibilities: Vec<&str> = rows.iter().map(|r| r.inbound.visibility.as_str()).collect();
        let texts: Vec<&str> = rows.iter().map(|r| r.inbound.text.as_str()).collect();
        let sent: Vec<i64> = rows
            .iter()
            .map(|r| r.inbound.created_at.timestamp_millis())
            .collect();
        let parents: Vec<Option<&str>> = rows
            .iter()
            .map(|r| r.inbound.in_reply_to.as_deref())
            .collect();
        let raws: Vec<&str> = rows.iter().map(|r| r.raw.as_str()).collect();
        let automated: Vec<bool> = rows.iter().map(|r| r.inbound.automated).collect();
        let attachments: Vec<Option<String>> = rows
            .iter()
            .map(|r| crate::ingest::attachments_json(r.inbound))
            .collect();
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, channel_id, conversation_id, identity_id, external_id, direction, \
             visibility, text, sent_at, received_at, in_reply_to, raw, automated, attachments) \
             SELECT u.id, $1, u.channel_id, u.conversation_id, u.identity_id, u.external_id, u.direction, u.visibility, \
             u.text, u.sent_at, $2, u.in_reply_to, u.raw, u.automated, u.attachments \
             FROM UNNEST($3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], \
             $10::text[], $11::bigint[], $12::text[], $13::text[], $14::boolean[], $15::text[]) \
             AS u(id, channel_id, conversation_id, identity_id, external_id, direction, visibility, text, sent_at, in_reply_to, raw, automated, attachments)",
        )
        .bind(ws.0)
        .bind(now)
        .bind(&ids)
        .bind(&channels)
        .bind(&conversations)
        .bind(&identities)
        .bind(&externals)
        .bind(&directions)
        .bind(&visibilities)
        .bind(&texts)
        .bind(&sent)
        .bind(&parents)
        .bind(&raws)
        .bind(&automated)
        .bind(&attachments)
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
        let statuses = sqlx::query(
            "SELECT id, status, priority, sla_due_at FROM conversations WHERE workspace_id = $1 AND id = ANY($2)",
        )
        .bind(ws.0)
        .bind(ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        let entries = sqlx::query(
            "SELECT conversation_id, direction, sent_at, automated FROM messages WHERE workspace_id = $1 AND conversation_id = ANY($2)",
        )
        .bind(ws.0)
        .bind(ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        let mut out = HashMap::new();
        for r in &statuses {
            let status: String = r.try_get(1).map_err(db_err)?;
            let status = status.parse().map_err(|_| corrupt("status", &status))?;
            out.insert(
                r.try_get::<i64, _>(0).map_err(db_err)?,
                Current {
                    status,
                    priority: r.try_get(2).map_err(db_err)?,
                    sla_due: r.try_get(3).map_err(db_err)?,
                    entries: Vec::new(),
                },
            );
        }
        for r in &entries {
            let id: i64 = r.try_get(0).map_err(db_err)?;
            let direction: String = r.try_get(1).map_err(db_err)?;
            let entry = TimelineEntry {
                direction: direction
                    .parse()
                    .map_err(|_| corrupt("direction", &direction))?,
                sent_at: earshot_core::time::from_millis(r.try_get(2).map_err(db_err)?),
                automated: r.try_get(3).map_err(db_err)?,
            };
            if let Some(c) = out.get_mut(&id) {
                c.entries.push(entry);
            }
        }
        Ok(out)
    }

    async fn update_conversations(
        &mut self,
        ws: WorkspaceId,
        rows: &[ConversationUpdate],
        now: i64,
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
        let statuses: Vec<&str> = rows.iter().map(|u| u.status.as_str()).collect();
        let counts: Vec<i64> = rows.iter().map(|u| u.timeline.message_count).collect();
        let firsts: Vec<i64> = rows
            .iter()
            .map(|u| u.timeline.first_message_at.timestamp_millis())
            .collect();
        let lasts: Vec<i64> = rows
            .iter()
            .map(|u| u.timeline.last_message_at.timestamp_millis())
            .collect();
        let responses: Vec<Option<i64>> = rows
            .iter()
            .map(|u| u.timeline.first_response_at.map(|t| t.timestamp_millis()))
            .collect();
        let waiting: Vec<Option<i64>> = rows
            .iter()
            .map(|u| u.timeline.waiting_since.map(|t| t.timestamp_millis()))
            .collect();
        let keys: Vec<i64> = rows.iter().map(|u| u.waiting_key()).collect();
        let priorities: Vec<Option<i32>> = rows
            .iter()
            .map(|u| u.priority.as_ref().map(|p| p.0))
            .collect();
        let details: Vec<Option<&str>> = rows
            .iter()
            .map(|u| u.priority.as_ref().and_then(|p| p.1.as_deref()))
            .collect();
        let due_set: Vec<bool> = rows.iter().map(|u| u.sla_due.is_some()).collect();
        let due: Vec<Option<i64>> = rows
            .iter()
            .map(|u| u.sla_due.flatten().map(|d| d.0))
            .collect();
        let warn: Vec<Option<i64>> = rows
            .iter()
            .map(|u| u.sla_due.flatten().map(|d| d.1))
            .collect();
        let sentiments: Vec<Option<&str>> = rows
            .iter()
            .map(|u| u.mood.as_ref().map(|m| m.0.as_str()))
            .collect();
        let intents: Vec<Option<&str>> = rows
            .iter()
            .map(|u| u.mood.as_ref().map(|m| m.1.as_str()))
            .collect();
        sqlx::query(
            "UPDATE conversations c SET status = u.status, message_count = u.message_count, \
             first_message_at = u.first_message_at, last_message_at = u.last_message_at, \
             first_response_at = u.first_response_at, waiting_since = u.waiting_since, waiting_key = u.waiting_key, \
             updated_at = $2, priority = COALESCE(u.priority, c.priority), \
             priority_detail = CASE WHEN u.priority IS NOT NULL THEN u.priority_detail ELSE c.priority_detail END, \
             sla_due_at = CASE WHEN u.due_set THEN u.sla_due_at ELSE c.sla_due_at END, \
             sla_warn_at = CASE WHEN u.due_set THEN u.sla_warn_at ELSE c.sla_warn_at END, \
             sentiment = COALESCE(u.sentiment, c.sentiment), intents = COALESCE(u.intents, c.intents) \
             FROM UNNEST($3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], \
             $11::int[], $12::text[], $13::bool[], $14::bigint[], $15::bigint[], $16::text[], $17::text[]) \
             AS u(id, status, message_count, first_message_at, last_message_at, first_response_at, waiting_since, waiting_key, \
             priority, priority_detail, due_set, sla_due_at, sla_warn_at, sentiment, intents) \
             WHERE c.workspace_id = $1 AND c.id = u.id",
        )
        .bind(ws.0)
        .bind(now)
        .bind(&ids)
        .bind(&statuses)
        .bind(&counts)
        .bind(&firsts)
        .bind(&lasts)
        .bind(&responses)
        .bind(&waiting)
        .bind(&keys)
        .bind(&priorities)
        .bind(&details)
        .bind(&due_set)
        .bind(&due)
        .bind(&warn)
        .bind(&sentiments)
        .bind(&intents)
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
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT external_id FROM listening_unmatched WHERE workspace_id = $1 AND channel_id = $2 \
             AND external_id = ANY($3)",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(external_ids)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
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
        let ids: Vec<&str> = rows.iter().map(|r| r.external_id).collect();
        let sent: Vec<i64> = rows.iter().map(|r| r.sent_at).collect();
        let heard: Vec<i64> = rows.iter().map(|r| r.heard_at).collect();
        let authors: Vec<&str> = rows.iter().map(|r| r.author_id).collect();
        let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        let posts: Vec<&str> = rows.iter().map(|r| r.post.as_str()).collect();
        sqlx::query(
            "INSERT INTO listening_unmatched (workspace_id, channel_id, external_id, sent_at) \
             SELECT $1, $2, u.e, u.s FROM UNNEST($3::text[], $4::bigint[]) AS u(e, s) ON CONFLICT DO NOTHING",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(&ids)
        .bind(&sent)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO listening_heard (workspace_id, channel_id, external_id, sent_at, heard_at, author_id, text, post) \
             SELECT $1, $2, u.e, u.s, u.h, u.a, u.t, u.p \
             FROM UNNEST($3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[]) AS u(e, s, h, a, t, p) \
             ON CONFLICT DO NOTHING",
        )
        .bind(ws.0)
        .bind(channel.0)
        .bind(&ids)
        .bind(&sent)
        .bind(&heard)
        .bind(&authors)
        .bind(&texts)
        .bind(&posts)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
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
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let at: Vec<i64> = rows.iter().map(|r| r.1).collect();
        let kinds: Vec<&str> = rows.iter().map(|r| r.2).collect();
        let data: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
        sqlx::query(
            "INSERT INTO conversation_events (workspace_id, conversation_id, at, kind, actor, actor_id, data) \
             SELECT $1, u.c, u.at, u.k, 'system', NULL, u.d FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS u(c, at, k, d)",
        )
        .bind(ws.0)
        .bind(&ids)
        .bind(&at)
        .bind(&kinds)
        .bind(&data)
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
        let messages: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let topics: Vec<i64> = rows.iter().map(|r| r.1).collect();
        sqlx::query(
            "INSERT INTO message_topics (workspace_id, message_id, topic_id) \
             SELECT $1, u.m, u.t FROM UNNEST($2::bigint[], $3::bigint[]) AS u(m, t) ON CONFLICT DO NOTHING",
        )
        .bind(ws.0)
        .bind(&messages)
        .bind(&topics)
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
        let ids: Vec<i64> = rows.iter().map(|r| r.message_id).collect();
        let language: Vec<&str> = rows.iter().map(|r| r.language.as_str()).collect();
        let sentiment: Vec<&str> = rows.iter().map(|r| r.sentiment.as_str()).collect();
        let polarity: Vec<f32> = rows.iter().map(|r| r.polarity).collect();
        let urgency: Vec<f32> = rows.iter().map(|r| r.urgency).collect();
        let intents: Vec<&str> = rows.iter().map(|r| r.intents.as_str()).collect();
        let detail: Vec<&str> = rows.iter().map(|r| r.detail.as_str()).collect();
        sqlx::query(
            "INSERT INTO message_enrichments \
             (message_id, workspace_id, language, sentiment, polarity, urgency, intents, detail) \
             SELECT u.m, $1, u.l, u.s, u.p, u.u, u.i, u.d \
             FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::real[], $6::real[], $7::text[], $8::text[]) \
             AS u(m, l, s, p, u, i, d) ON CONFLICT DO NOTHING",
        )
        .bind(ws.0)
        .bind(&ids)
        .bind(&language)
        .bind(&sentiment)
        .bind(&polarity)
        .bind(&urgency)
        .bind(&intents)
        .bind(&detail)
        .execute(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}
