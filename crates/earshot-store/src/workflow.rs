//! The care workflow's queries (issue 5), the same SQL on both databases: agents' and
//! contacts' settings, conversation changes with their audit trail, rules, SLA policies, the
//! outbox and the timer workers' cursors. Expanded inside each backend's `q` module, after
//! `shared_queries!` (whose imports and `Pool` it uses).

macro_rules! workflow_queries {
    ($db:ty) => {
        use earshot_core::rules::{Actor, RuleDraft};
        use earshot_core::workflow::{
            Changed, ConversationChange, ConversationEvent, Delivery, NewEvent, NewOutbox,
            OutboxItem, RuleRecord, SlaPolicyRecord, SlaState, TeamConversation, Timer,
        };
        use serde_json::json;

        type Tx<'c> = sqlx::Transaction<'c, $db>;

        pub(crate) fn skills_json(s: &assign::Skills) -> String {
            serde_json::to_string(s).expect("skills serialize")
        }

        fn check_capacity(c: u32) -> StoreResult<()> {
            if c > 10_000 {
                return Err(store::StoreError::Invalid(format!(
                    "capacity {c} is more than 10000 open conversations"
                )));
            }
            Ok(())
        }

        fn not_found(what: &'static str, id: i64) -> store::StoreError {
            store::StoreError::NotFound { what, id }
        }

        fn actor_parts(a: Actor) -> (&'static str, Option<i64>) {
            match a {
                Actor::Customer => ("customer", None),
                Actor::Agent(id) => ("agent", Some(id.0)),
                Actor::Rule(id) => ("rule", Some(id)),
                Actor::System => ("system", None),
            }
        }

        fn actor_of(kind: &str, id: Option<i64>) -> StoreResult<Actor> {
            Ok(match (kind, id) {
                ("customer", _) => Actor::Customer,
                ("agent", Some(id)) => Actor::Agent(AgentId(id)),
                ("rule", Some(id)) => Actor::Rule(id),
                ("system", _) => Actor::System,
                _ => return Err($crate::corrupt("event actor", kind)),
            })
        }

        pub(crate) async fn update_agent(
            pool: &Pool,
            ws: WorkspaceId,
            id: AgentId,
            p: &AgentPatch,
        ) -> StoreResult<Agent> {
            if let Some(Some(t)) = p.team_id {
                check_team(pool, ws, Some(t)).await?;
            }
            if let Some(c) = p.capacity {
                check_capacity(c)?;
            }
            let mut sql = $crate::queries::Sql::new("UPDATE agents SET id = id");
            if let Some(team) = p.team_id {
                sql.push(", team_id = ").bind(Bind::OptI64(team.map(|t| t.0)));
            }
            if let Some(s) = &p.skills {
                sql.push(", skills = ").bind(Bind::Text(skills_json(s)));
            }
            if let Some(c) = p.capacity {
                sql.push(", capacity = ").bind(Bind::I32(c as i32));
            }
            if let Some(a) = p.availability {
                sql.push(", availability = ").bind(Bind::Text(a.as_str().into()));
            }
            sql.push(" WHERE workspace_id = ").bind(Bind::I64(ws.0));
            sql.push(" AND id = ").bind(Bind::I64(id.0));
            sql.push(&format!(" RETURNING {AGENT_COLUMNS}"));
            let row = bind_all(sqlx::query(&sql.text), &sql.binds)
                .fetch_optional(pool)
                .await
                .map_err(db_err)?
                .ok_or(not_found("agent", id.0))?;
            agent(&row)
        }

        pub(crate) async fn set_team_strategy(
            pool: &Pool,
            ws: WorkspaceId,
            id: TeamId,
            strategy: assign::Strategy,
        ) -> StoreResult<Team> {
            let row = sqlx::query(&format!(
                "UPDATE teams SET strategy = $1 WHERE workspace_id = $2 AND id = $3 RETURNING {TEAM_COLUMNS}"
            ))
            .bind(strategy.as_str())
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?
            .ok_or(not_found("team", id.0))?;
            team(&row)
        }

        pub(crate) async fn update_contact(
            pool: &Pool,
            ws: WorkspaceId,
            id: ContactId,
            p: &ContactPatch,
        ) -> StoreResult<Contact> {
            if let Some(Some(t)) = &p.tier {
                if t.trim().is_empty() || t.len() > 64 {
                    return Err(store::StoreError::Invalid("tier: 1 to 64 characters".into()));
                }
            }
            if let Some(Some(v)) = p.value {
                if !v.is_finite() {
                    return Err(store::StoreError::Invalid("value: must be a finite number".into()));
                }
            }
            let mut sql = $crate::queries::Sql::new("UPDATE contacts SET updated_at = ");
            sql.bind(Bind::I64(to_millis(now())));
            if let Some(o) = p.opted_out {
                sql.push(", opted_out = ").bind(Bind::Bool(o));
            }
            if let Some(t) = &p.tier {
                sql.push(", tier = ").bind(Bind::OptText(t.clone()));
            }
            if let Some(v) = p.value {
                sql.push(", value = ").bind(Bind::OptF64(v));
            }
            sql.push(" WHERE workspace_id = ").bind(Bind::I64(ws.0));
            sql.push(" AND id = ").bind(Bind::I64(id.0));
            sql.push(&format!(" RETURNING {CONTACT_COLUMNS}"));
            let row = bind_all(sqlx::query(&sql.text), &sql.binds)
                .fetch_optional(pool)
                .await
                .map_err(db_err)?
                .ok_or(not_found("contact", id.0))?;
            contact(&row)
        }

        async fn conversation_in(tx: &mut Tx<'_>, ws: WorkspaceId, id: ConversationId) -> StoreResult<Conversation> {
            let sql = format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations c JOIN channels ch ON ch.id = c.channel_id \
                 WHERE c.workspace_id = $1 AND c.id = $2"
            );
            let row = sqlx::query(&sql)
                .bind(ws.0)
                .bind(id.0)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?
                .ok_or(not_found("conversation", id.0))?;
            conversation(&row)
        }

        async fn tags_in(tx: &mut Tx<'_>, id: ConversationId) -> StoreResult<Vec<String>> {
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT tag FROM conversation_tags WHERE conversation_id = $1 ORDER BY tag")
                    .bind(id.0)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db_err)?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        }

        async fn exists(tx: &mut Tx<'_>, table: &str, ws: WorkspaceId, id: i64) -> StoreResult<bool> {
            Ok(sqlx::query(&format!("SELECT 1 FROM {table} WHERE workspace_id = $1 AND id = $2"))
                .bind(ws.0)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?
                .is_some())
        }

        fn normalize_tag(t: &str) -> StoreResult<String> {
            let t = t.trim().to_lowercase();
            if t.is_empty() || t.len() > 64 {
                return Err(store::StoreError::Invalid("a tag is 1 to 64 characters".into()));
            }
            Ok(t)
        }

        pub(crate) async fn change_conversation(
            pool: &Pool,
            ws: WorkspaceId,
            id: ConversationId,
            change: &ConversationChange,
            actor: Actor,
            extra: &[NewEvent],
        ) -> StoreResult<Changed> {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let mut cache = TxCache::default();
            let changed = change_in(&mut tx, &mut cache, ws, id, change, actor, extra).await?;
            tx.commit().await.map_err(db_err)?;
            Ok(changed)
        }

        /// Several changes, in order, in one transaction (all or none).
        pub(crate) async fn change_conversations(
            pool: &Pool,
            ws: WorkspaceId,
            items: &[earshot_core::workflow::ChangeRequest],
        ) -> StoreResult<Vec<Changed>> {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let out = change_conversations_in(&mut tx, ws, items).await?;
            tx.commit().await.map_err(db_err)?;
            Ok(out)
        }

        /// [`change_conversations`] inside the caller's transaction.
        pub(crate) async fn change_conversations_in(
            tx: &mut Tx<'_>,
            ws: WorkspaceId,
            items: &[earshot_core::workflow::ChangeRequest],
        ) -> StoreResult<Vec<Changed>> {
            let mut cache = TxCache::default();
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(
                    change_in(tx, &mut cache, ws, item.conversation, &item.change, item.actor, &item.extra).await?,
                );
            }
            Ok(out)
        }

        /// What one transaction of changes already read or wrote: a conversation changed twice
        /// is read once, an agent or team checked once.
        #[derive(Default)]
        struct TxCache {
            conversations: std::collections::HashMap<ConversationId, (Conversation, Vec<String>)>,
            exists: std::collections::HashSet<(&'static str, i64)>,
        }

        async fn check_exists(
            tx: &mut Tx<'_>,
            cache: &mut TxCache,
            table: &'static str,
            ws: WorkspaceId,
            id: i64,
            what: &str,
        ) -> StoreResult<()> {
            if cache.exists.contains(&(table, id)) {
                return Ok(());
            }
            if !exists(tx, table, ws, id).await? {
                return Err(store::StoreError::Invalid(format!("{what} {id} does not exist in this workspace")));
            }
            cache.exists.insert((table, id));
            Ok(())
        }

        async fn change_in(
            tx: &mut Tx<'_>,
            cache: &mut TxCache,
            ws: WorkspaceId,
            id: ConversationId,
            change: &ConversationChange,
            actor: Actor,
            extra: &[NewEvent],
        ) -> StoreResult<Changed> {
            let at = earshot_core::time::from_millis(to_millis(now()));
            let (before, tags_before) = match cache.conversations.get(&id) {
                Some(known) => known.clone(),
                None => {
                    let c = conversation_in(tx, ws, id).await?;
                    let tags = tags_in(tx, id).await?;
                    (c, tags)
                }
            };
            if let Some(Some(a)) = change.assignee {
                check_exists(tx, cache, "agents", ws, a.0, "agent").await?;
            }
            if let Some(Some(t)) = change.team {
                check_exists(tx, cache, "teams", ws, t.0, "team").await?;
            }
            if let Some(Some(p)) = change.sla_policy {
                check_exists(tx, cache, "sla_policies", ws, p, "SLA policy").await?;
            }
            if let Some(p) = change.priority {
                if !(0..=100).contains(&p) {
                    return Err(store::StoreError::Invalid("priority is 0 to 100".into()));
                }
            }
            let mut after = before.clone();
            let mut sql = $crate::queries::Sql::new("UPDATE conversations SET updated_at = ");
            sql.bind(Bind::I64(to_millis(at)));
            let mut fields = 0;
            if let Some(s) = change.status {
                sql.push(", status = ").bind(Bind::Text(s.as_str().into()));
                after.status = s;
                fields += 1;
            }
            if let Some(a) = change.assignee {
                sql.push(", assignee_id = ").bind(Bind::OptI64(a.map(|a| a.0)));
                after.assignee_id = a;
                fields += 1;
            }
            if let Some(t) = change.team {
                sql.push(", team_id = ").bind(Bind::OptI64(t.map(|t| t.0)));
                after.team_id = t;
                fields += 1;
            }
            if let Some(p) = change.priority {
                sql.push(", priority = ").bind(Bind::I32(p));
                after.priority = p;
                fields += 1;
            }
            if let Some(d) = &change.priority_detail {
                sql.push(", priority_detail = ")
                    .bind(Bind::Text(serde_json::to_string(d).expect("a priority serializes")));
                fields += 1;
            }
            if let Some(s) = change.snoozed_until {
                sql.push(", snoozed_until = ").bind(Bind::OptI64(s.map(to_millis)));
                fields += 1;
            }
            if let Some(d) = change.sla_due_at {
                sql.push(", sla_due_at = ").bind(Bind::OptI64(d.map(to_millis)));
                if d.is_none() && change.sla_warn_at.is_none() {
                    sql.push(", sla_warn_at = NULL");
                }
                after.sla_due_at = d.map(|d| earshot_core::time::from_millis(to_millis(d)));
                fields += 1;
            }
            if let Some(r) = change.resolution_due_at {
                sql.push(", resolution_due_at = ").bind(Bind::OptI64(r.map(to_millis)));
                fields += 1;
            } else if change.status == Some(ConversationStatus::Resolved) {
                sql.push(", resolution_due_at = NULL");
            }
            if let Some(w) = change.sla_warn_at {
                sql.push(", sla_warn_at = ").bind(Bind::OptI64(w.map(to_millis)));
                fields += 1;
            }
            if let Some(r) = change.sla_remaining {
                sql.push(", sla_remaining_ms = ").bind(Bind::OptI64(r.map(|r| r.num_milliseconds())));
                fields += 1;
            }
            if let Some(p) = change.sla_policy {
                sql.push(", sla_policy_id = ").bind(Bind::OptI64(p));
                fields += 1;
            }
            if fields > 0 {
                sql.push(" WHERE workspace_id = ").bind(Bind::I64(ws.0));
                sql.push(" AND id = ").bind(Bind::I64(id.0));
                bind_all(sqlx::query(&sql.text), &sql.binds)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                after.updated_at = at;
            }
            let mut tags = tags_before.clone();
            for t in &change.add_tags {
                let t = normalize_tag(t)?;
                if tags.contains(&t) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO conversation_tags (workspace_id, conversation_id, tag) VALUES ($1, $2, $3) \
                     ON CONFLICT (conversation_id, tag) DO NOTHING",
                )
                .bind(ws.0)
                .bind(id.0)
                .bind(&t)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
                tags.push(t);
            }
            for t in &change.remove_tags {
                let t = normalize_tag(t)?;
                if !tags.contains(&t) {
                    continue;
                }
                sqlx::query("DELETE FROM conversation_tags WHERE conversation_id = $1 AND tag = $2")
                    .bind(id.0)
                    .bind(&t)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                tags.retain(|x| *x != t);
            }
            tags.sort();

            // One event per real change, then the extra ones.
            let mut events: Vec<NewEvent> = Vec::new();
            if before.status != after.status {
                events.push(NewEvent::new("status_changed", json!({"from": before.status, "to": after.status})));
            }
            if before.assignee_id != after.assignee_id || before.team_id != after.team_id {
                events.push(NewEvent::new("assigned", json!({
                    "from": {"agent": before.assignee_id, "team": before.team_id},
                    "to": {"agent": after.assignee_id, "team": after.team_id}})));
            }
            if before.priority != after.priority {
                events.push(NewEvent::new("priority_changed", json!({"from": before.priority, "to": after.priority})));
            }
            for t in tags.iter().filter(|t| !tags_before.contains(t)) {
                events.push(NewEvent::new("tagged", json!({"tag": t})));
            }
            for t in tags_before.iter().filter(|t| !tags.contains(t)) {
                events.push(NewEvent::new("untagged", json!({"tag": t})));
            }
            if let Some(Some(until)) = change.snoozed_until {
                events.push(NewEvent::new("snoozed", json!({"until": until})));
            }
            if before.sla_due_at != after.sla_due_at {
                events.push(NewEvent::new("sla_due", json!({"from": before.sla_due_at, "to": after.sla_due_at,
                    "paused": change.sla_remaining.flatten().map(|r| r.num_seconds())})));
            }
            if let Some(p) = change.sla_policy {
                events.push(NewEvent::new("sla_policy", json!({"policy_id": p})));
            }
            events.extend(extra.iter().cloned());
            let (actor_kind, actor_id) = actor_parts(actor);
            let mut recorded = Vec::with_capacity(events.len());
            if !events.is_empty() {
                // One statement for all of them; ids come back in insertion order.
                let mut sql = $crate::queries::Sql::new(
                    "INSERT INTO conversation_events (workspace_id, conversation_id, at, kind, actor, actor_id, data) VALUES ",
                );
                for (n, e) in events.iter().enumerate() {
                    sql.push(if n == 0 { "(" } else { ", (" });
                    sql.bind(Bind::I64(ws.0)).push(", ");
                    sql.bind(Bind::I64(id.0)).push(", ");
                    sql.bind(Bind::I64(to_millis(at))).push(", ");
                    sql.bind(Bind::Text(e.kind.into())).push(", ");
                    sql.bind(Bind::Text(actor_kind.into())).push(", ");
                    sql.bind(Bind::OptI64(actor_id)).push(", ");
                    sql.bind(Bind::Text(e.data.to_string())).push(")");
                }
                sql.push(" RETURNING id");
                let mut ids: Vec<i64> = bind_all(sqlx::query(&sql.text), &sql.binds)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db_err)?
                    .iter()
                    .map(|r| sqlx::Row::try_get::<i64, _>(r, 0))
                    .collect::<Result<_, _>>()
                    .map_err(db_err)?;
                ids.sort_unstable();
                for (e, event_id) in events.iter().zip(ids) {
                    recorded.push(ConversationEvent {
                        id: event_id,
                        conversation_id: id,
                        at,
                        kind: e.kind.to_string(),
                        actor,
                        data: e.data.clone(),
                    });
                }
            }
            if let (Some(agent), true) = (after.assignee_id, before.assignee_id != after.assignee_id) {
                sqlx::query("UPDATE agents SET last_assigned_at = $1 WHERE workspace_id = $2 AND id = $3")
                    .bind(to_millis(at))
                    .bind(ws.0)
                    .bind(agent.0)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
            }
            cache.conversations.insert(id, (after.clone(), tags.clone()));
            Ok(Changed { before, after, tags, events: recorded })
        }

        /// `IN (…)` over ids, numbered after `offset` binds.
        fn id_list(sql: &mut $crate::queries::Sql, ids: &[i64]) {
            sql.push("(");
            for (n, id) in ids.iter().enumerate() {
                if n > 0 {
                    sql.push(", ");
                }
                sql.bind(Bind::I64(*id));
            }
            sql.push(")");
        }

        pub(crate) async fn workflow_context(
            pool: &Pool,
            ws: WorkspaceId,
            ids: &[ConversationId],
        ) -> StoreResult<Vec<earshot_core::workflow::Context>> {
            let mut conn = pool.acquire().await.map_err(db_err)?;
            workflow_context_in(&mut conn, ws, ids).await
        }

        /// [`workflow_context`] on the caller's connection (inside its transaction).
        pub(crate) async fn workflow_context_in(
            conn: &mut <$db as sqlx::Database>::Connection,
            ws: WorkspaceId,
            ids: &[ConversationId],
        ) -> StoreResult<Vec<earshot_core::workflow::Context>> {
            let mut ids: Vec<i64> = ids.iter().map(|c| c.0).collect();
            ids.sort_unstable();
            ids.dedup();
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(1000) {
                let mut sql = $crate::queries::Sql::new(&format!(
                    "SELECT {CONVERSATION_COLUMNS}, ct.tier, ct.value, ct.opted_out, c.sla_policy_id, c.sla_remaining_ms, \
                     ct.display_name, (SELECT i.handle FROM identities i WHERE i.contact_id = ct.id AND i.handle IS NOT NULL \
                     ORDER BY i.id LIMIT 1), ch.name FROM conversations c \
                     JOIN channels ch ON ch.id = c.channel_id JOIN contacts ct ON ct.id = c.contact_id \
                     WHERE c.workspace_id = "
                ));
                sql.bind(Bind::I64(ws.0)).push(" AND c.id IN ");
                id_list(&mut sql, chunk);
                let rows = bind_all(sqlx::query(&sql.text), &sql.binds).fetch_all(&mut *conn).await.map_err(db_err)?;
                let mut tags: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
                let mut sql = $crate::queries::Sql::new("SELECT conversation_id, tag FROM conversation_tags WHERE workspace_id = ");
                sql.bind(Bind::I64(ws.0)).push(" AND conversation_id IN ");
                id_list(&mut sql, chunk);
                sql.push(" ORDER BY conversation_id, tag");
                for r in bind_all(sqlx::query(&sql.text), &sql.binds).fetch_all(&mut *conn).await.map_err(db_err)? {
                    tags.entry(r.try_get(0).map_err(db_err)?).or_default().push(r.try_get(1).map_err(db_err)?);
                }
                let mut topics: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
                let mut sql = $crate::queries::Sql::new(
                    "SELECT DISTINCT m.conversation_id, t.name FROM message_topics mt JOIN messages m ON m.id = mt.message_id \
                     JOIN topics t ON t.id = mt.topic_id WHERE m.workspace_id = ",
                );
                sql.bind(Bind::I64(ws.0)).push(" AND m.conversation_id IN ");
                id_list(&mut sql, chunk);
                for r in bind_all(sqlx::query(&sql.text), &sql.binds).fetch_all(&mut *conn).await.map_err(db_err)? {
                    let name: String = r.try_get(1).map_err(db_err)?;
                    topics.entry(r.try_get(0).map_err(db_err)?).or_default().push(name.to_lowercase());
                }
                let n = CONVERSATION_COLUMNS.split(',').count();
                for r in &rows {
                    let conversation = conversation(r)?;
                    let id = conversation.id.0;
                    let mut topic_names = topics.remove(&id).unwrap_or_default();
                    topic_names.sort();
                    out.push(earshot_core::workflow::Context {
                        tags: tags.remove(&id).unwrap_or_default(),
                        topics: topic_names,
                        contact_tier: r.try_get(n).map_err(db_err)?,
                        contact_value: r.try_get(n + 1).map_err(db_err)?,
                        opted_out: r.try_get(n + 2).map_err(db_err)?,
                        sla_policy: r.try_get(n + 3).map_err(db_err)?,
                        sla_remaining_seconds: r
                            .try_get::<Option<i64>, _>(n + 4)
                            .map_err(db_err)?
                            .map(|ms| ms / 1000),
                        contact_name: r.try_get(n + 5).map_err(db_err)?,
                        contact_handle: r.try_get(n + 6).map_err(db_err)?,
                        channel_name: r.try_get(n + 7).map_err(db_err)?,
                        conversation,
                    });
                }
            }
            Ok(out)
        }

        pub(crate) async fn conversation_events(
            pool: &Pool,
            ws: WorkspaceId,
            id: ConversationId,
        ) -> StoreResult<Vec<ConversationEvent>> {
            let rows: Vec<(i64, i64, i64, String, String, Option<i64>, String)> = sqlx::query_as(
                "SELECT id, conversation_id, at, kind, actor, actor_id, data FROM conversation_events \
                 WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY id",
            )
            .bind(ws.0)
            .bind(id.0)
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
            rows.into_iter()
                .map(|(id, conv, at, kind, actor, actor_id, data)| {
                    Ok(ConversationEvent {
                        id,
                        conversation_id: ConversationId(conv),
                        at: earshot_core::time::from_millis(at),
                        kind,
                        actor: actor_of(&actor, actor_id)?,
                        data: serde_json::from_str(&data).map_err(|_| $crate::corrupt("event data", &data))?,
                    })
                })
                .collect()
        }

        pub(crate) async fn conversation_tags(
            pool: &Pool,
            ws: WorkspaceId,
            id: ConversationId,
        ) -> StoreResult<Vec<String>> {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT tag FROM conversation_tags WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY tag",
            )
            .bind(ws.0)
            .bind(id.0)
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
            Ok(rows.into_iter().map(|r| r.0).collect())
        }

        pub(crate) async fn sla_state(
            pool: &Pool,
            ws: WorkspaceId,
            id: ConversationId,
        ) -> StoreResult<SlaState> {
            let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
                "SELECT sla_policy_id, sla_remaining_ms, snoozed_until FROM conversations WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
            let (policy_id, remaining, snoozed) = row.ok_or(not_found("conversation", id.0))?;
            Ok(SlaState {
                policy_id,
                remaining_seconds: remaining.map(|ms| ms / 1000),
                snoozed_until: snoozed.map(earshot_core::time::from_millis),
            })
        }

        pub(crate) async fn team_conversations(
            pool: &Pool,
            ws: WorkspaceId,
        ) -> StoreResult<Vec<TeamConversation>> {
            let rows: Vec<(i64, i64, Option<i64>, String, i32, Option<i64>, i64)> = sqlx::query_as(
                "SELECT c.id, c.team_id, c.assignee_id, ch.kind, c.priority, c.waiting_since, c.first_message_at \
                 FROM conversations c JOIN channels ch ON ch.id = c.channel_id \
                 WHERE c.workspace_id = $1 AND c.team_id IS NOT NULL AND c.status <> 'resolved' ORDER BY c.id",
            )
            .bind(ws.0)
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
            rows.into_iter()
                .map(|(id, team, assignee, kind, priority, waiting, first)| {
                    Ok(TeamConversation {
                        id: ConversationId(id),
                        team: TeamId(team),
                        assignee: assignee.map(AgentId),
                        channel: kind.parse().map_err(|_| $crate::corrupt("channel kind", &kind))?,
                        priority,
                        waiting_since: earshot_core::time::from_millis(waiting.unwrap_or(first)),
                    })
                })
                .collect()
        }

        pub(crate) async fn timers_due(
            pool: &Pool,
            timer: Timer,
            after: earshot_core::time::Timestamp,
            until: earshot_core::time::Timestamp,
            limit: u32,
        ) -> StoreResult<Vec<(WorkspaceId, ConversationId, earshot_core::time::Timestamp)>> {
            let (column, only) = match timer {
                Timer::SlaWarning => ("sla_warn_at", ""),
                Timer::SnoozeEnd => ("snoozed_until", ""),
                Timer::WaitingSince => ("waiting_since", " AND status NOT IN ('snoozed', 'resolved')"),
                Timer::LastMessage => ("last_message_at", " AND status <> 'resolved'"),
                Timer::ResolutionDue => ("resolution_due_at", " AND status <> 'resolved'"),
            };
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
                "SELECT workspace_id, id, {column} FROM conversations WHERE {column} > $1 AND {column} <= $2{only} \
                 ORDER BY {column}, id LIMIT $3"
            ))
            .bind(to_millis(after))
            .bind(to_millis(until))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
            Ok(rows
                .into_iter()
                .map(|(w, c, t)| (WorkspaceId(w), ConversationId(c), earshot_core::time::from_millis(t)))
                .collect())
        }

        const USER_COLUMNS: &str = "u.id, u.workspace_id, u.email, u.name, u.role, u.agent_id, u.password_hash";

        fn user_row(r: (i64, i64, String, String, String, Option<i64>, String)) -> (earshot_core::auth::User, String) {
            (
                earshot_core::auth::User {
                    id: r.0,
                    workspace_id: WorkspaceId(r.1),
                    email: r.2,
                    name: r.3,
                    role: r.4,
                    agent_id: r.5.map(AgentId),
                },
                r.6,
            )
        }

        pub(crate) async fn create_user(
            pool: &Pool,
            ws: WorkspaceId,
            email: &str,
            name: &str,
            role: &str,
            agent: Option<AgentId>,
            password_hash: &str,
        ) -> StoreResult<earshot_core::auth::User> {
            let email = email.trim().to_lowercase();
            if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
                return Err(store::StoreError::Invalid(format!("`{email}` is not an email address")));
            }
            if name.trim().is_empty() {
                return Err(store::StoreError::Invalid("a user needs a name".into()));
            }
            if !matches!(role, "admin" | "agent") {
                return Err(store::StoreError::Invalid(format!("unknown role `{role}`; expected admin or agent")));
            }
            if let Some(a) = agent {
                let found = sqlx::query("SELECT 1 FROM agents WHERE workspace_id = $1 AND id = $2")
                    .bind(ws.0)
                    .bind(a.0)
                    .fetch_optional(pool)
                    .await
                    .map_err(db_err)?;
                if found.is_none() {
                    return Err(store::StoreError::Invalid(format!("agent {a} does not exist in this workspace")));
                }
            }
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO users (workspace_id, email, name, role, agent_id, password_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(ws.0)
            .bind(&email)
            .bind(name.trim())
            .bind(role)
            .bind(agent.map(|a| a.0))
            .bind(password_hash)
            .bind(to_millis(now()))
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
            Ok(earshot_core::auth::User {
                id,
                workspace_id: ws,
                email,
                name: name.trim().to_string(),
                role: role.to_string(),
                agent_id: agent,
            })
        }

        pub(crate) async fn user_by_email(pool: &Pool, email: &str) -> StoreResult<Option<(earshot_core::auth::User, String)>> {
            let row: Option<(i64, i64, String, String, String, Option<i64>, String)> =
                sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1"))
                    .bind(email.trim().to_lowercase())
                    .fetch_optional(pool)
                    .await
                    .map_err(db_err)?;
            Ok(row.map(user_row))
        }

        pub(crate) async fn create_session(
            pool: &Pool,
            user: i64,
            token_hash: &str,
            csrf: &str,
            expires_at: earshot_core::time::Timestamp,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(user)
            .bind(csrf)
            .bind(to_millis(now()))
            .bind(to_millis(expires_at))
            .execute(pool)
            .await
            .map_err(db_err)?;
            Ok(())
        }

        pub(crate) async fn session(
            pool: &Pool,
            token_hash: &str,
            at: earshot_core::time::Timestamp,
        ) -> StoreResult<Option<(earshot_core::auth::User, String)>> {
            let row: Option<(i64, i64, String, String, String, Option<i64>, String)> = sqlx::query_as(&format!(
                "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2"
            ))
            .bind(token_hash)
            .bind(to_millis(at))
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
            let Some(row) = row else { return Ok(None) };
            let (user, _) = user_row(row);
            let (csrf,): (String,) = sqlx::query_as("SELECT csrf_token FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_one(pool)
                .await
                .map_err(db_err)?;
            Ok(Some((user, csrf)))
        }

        pub(crate) async fn delete_session(pool: &Pool, token_hash: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await
                .map_err(db_err)?;
            Ok(())
        }

        pub(crate) async fn workspaces_with_rules(pool: &Pool) -> StoreResult<Vec<WorkspaceId>> {
            let rows: Vec<(i64,)> = sqlx::query_as("SELECT DISTINCT workspace_id FROM rules ORDER BY workspace_id")
                .fetch_all(pool)
                .await
                .map_err(db_err)?;
            Ok(rows.into_iter().map(|r| WorkspaceId(r.0)).collect())
        }

        pub(crate) async fn timer_cursor(pool: &Pool, name: &str) -> StoreResult<Option<earshot_core::time::Timestamp>> {
            let row: Option<(i64,)> = sqlx::query_as("SELECT until FROM timer_cursors WHERE name = $1")
                .bind(name)
                .fetch_optional(pool)
                .await
                .map_err(db_err)?;
            Ok(row.map(|r| earshot_core::time::from_millis(r.0)))
        }

        pub(crate) async fn set_timer_cursor(pool: &Pool, name: &str, until: earshot_core::time::Timestamp) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO timer_cursors (name, until) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET until = excluded.until",
            )
            .bind(name)
            .bind(to_millis(until))
            .execute(pool)
            .await
            .map_err(db_err)?;
            Ok(())
        }

        fn rule_record(row: (i64, i64, String, i64, i64)) -> StoreResult<RuleRecord> {
            let (id, position, definition, created, updated) = row;
            Ok(RuleRecord {
                id,
                position,
                rule: serde_json::from_str::<RuleDraft>(&definition).map_err(|_| $crate::corrupt("rule", &definition))?,
                created_at: earshot_core::time::from_millis(created),
                updated_at: earshot_core::time::from_millis(updated),
            })
        }

        pub(crate) async fn create_rule(
            pool: &Pool,
            ws: WorkspaceId,
            position: Option<i64>,
            rule: &RuleDraft,
        ) -> StoreResult<RuleRecord> {
            let at = to_millis(now());
            let definition = serde_json::to_string(rule).expect("a rule serializes");
            let row: (i64, i64, String, i64, i64) = sqlx::query_as(
                "INSERT INTO rules (workspace_id, position, definition, created_at, updated_at) \
                 VALUES ($1, COALESCE($2, (SELECT COALESCE(MAX(position), 0) + 1 FROM rules WHERE workspace_id = $1)), $3, $4, $4) \
                 RETURNING id, position, definition, created_at, updated_at",
            )
            .bind(ws.0)
            .bind(position)
            .bind(&definition)
            .bind(at)
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
            rule_record(row)
        }

        pub(crate) async fn list_rules(pool: &Pool, ws: WorkspaceId) -> StoreResult<Vec<RuleRecord>> {
            let rows: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
                "SELECT id, position, definition, created_at, updated_at FROM rules WHERE workspace_id = $1 ORDER BY position, id",
            )
            .bind(ws.0)
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
            rows.into_iter().map(rule_record).collect()
        }

        pub(crate) async fn update_rule(
            pool: &Pool,
            ws: WorkspaceId,
            id: i64,
            position: Option<i64>,
            rule: &RuleDraft,
        ) -> StoreResult<RuleRecord> {
            let definition = serde_json::to_string(rule).expect("a rule serializes");
            let row: Option<(i64, i64, String, i64, i64)> = sqlx::query_as(
                "UPDATE rules SET definition = $1, position = COALESCE($2, position), updated_at = $3 \
                 WHERE workspace_id = $4 AND id = $5 RETURNING id, position, definition, created_at, updated_at",
            )
            .bind(&definition)
            .bind(position)
            .bind(to_millis(now()))
            .bind(ws.0)
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
            rule_record(row.ok_or(not_found("rule", id))?)
        }

        pub(crate) async fn delete_rule(pool: &Pool, ws: WorkspaceId, id: i64) -> StoreResult<()> {
            let done = sqlx::query("DELETE FROM rules WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0)
                .bind(id)
                .execute(pool)
                .await
                .map_err(db_err)?;
            if done.rows_affected() == 0 {
                return Err(not_found("rule", id));
            }
            Ok(())
        }

        pub(crate) async fn create_sla_policy(
            pool: &Pool,
            ws: WorkspaceId,
            policy: &sla::PolicyDraft,
        ) -> StoreResult<SlaPolicyRecord> {
            policy.compile().map_err(|e| store::StoreError::Invalid(e.to_string()))?;
            let definition = serde_json::to_string(policy).expect("a policy serializes");
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO sla_policies (workspace_id, name, definition) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(ws.0)
            .bind(&policy.name)
            .bind(&definition)
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
            Ok(SlaPolicyRecord { id, policy: policy.clone() })
        }

        pub(crate) async fn list_sla_policies(pool: &Pool, ws: WorkspaceId) -> StoreResult<Vec<SlaPolicyRecord>> {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, definition FROM sla_policies WHERE workspace_id = $1 ORDER BY id")
                    .bind(ws.0)
                    .fetch_all(pool)
                    .await
                    .map_err(db_err)?;
            rows.into_iter()
                .map(|(id, d)| {
                    Ok(SlaPolicyRecord {
                        id,
                        policy: serde_json::from_str(&d).map_err(|_| $crate::corrupt("SLA policy", &d))?,
                    })
                })
                .collect()
        }

        pub(crate) async fn enqueue(pool: &Pool, ws: WorkspaceId, items: &[NewOutbox]) -> StoreResult<Vec<i64>> {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let ids = enqueue_in(&mut tx, ws, items).await?;
            tx.commit().await.map_err(db_err)?;
            Ok(ids)
        }

        /// [`enqueue`] inside the caller's transaction.
        pub(crate) async fn enqueue_in(tx: &mut Tx<'_>, ws: WorkspaceId, items: &[NewOutbox]) -> StoreResult<Vec<i64>> {
            let at = to_millis(now());
            let mut ids = Vec::with_capacity(items.len());
            for item in items {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO outbox (workspace_id, conversation_id, kind, message_id, payload, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6) RETURNING id",
                )
                .bind(ws.0)
                .bind(item.conversation_id.map(|c| c.0))
                .bind(item.kind)
                .bind(item.message_id.map(|m| m.0))
                .bind(item.payload.to_string())
                .bind(at)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_err)?;
                ids.push(id);
            }
            Ok(ids)
        }

        const OUTBOX_COLUMNS: &str = "id, workspace_id, conversation_id, kind, message_id, payload, status, \
             attempts, next_attempt_at, last_error, created_at, sent_at";

        type OutboxRow = (i64, i64, Option<i64>, String, Option<i64>, String, String, i32, Option<i64>, Option<String>, i64, Option<i64>);

        fn outbox_item(r: OutboxRow) -> StoreResult<OutboxItem> {
            let ms = earshot_core::time::from_millis;
            Ok(OutboxItem {
                id: r.0,
                workspace_id: WorkspaceId(r.1),
                conversation_id: r.2.map(ConversationId),
                kind: r.3,
                message_id: r.4.map(MessageId),
                payload: serde_json::from_str(&r.5).map_err(|_| $crate::corrupt("outbox payload", &r.5))?,
                status: r.6,
                attempts: r.7,
                next_attempt_at: r.8.map(ms),
                last_error: r.9,
                created_at: ms(r.10),
                sent_at: r.11.map(ms),
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
            let q = match delivery {
                Delivery::Sent => sqlx::query(
                    "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = $1, next_attempt_at = NULL, \
                     last_error = NULL WHERE id = $2",
                )
                .bind(to_millis(at))
                .bind(id),
                Delivery::Retry { error, at: next } => sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3",
                )
                .bind(to_millis(*next))
                .bind(error.as_str())
                .bind(id),
                Delivery::Failed { error } => sqlx::query(
                    "UPDATE outbox SET status = 'failed', attempts = attempts + 1, next_attempt_at = NULL, last_error = $1 \
                     WHERE id = $2",
                )
                .bind(error.as_str())
                .bind(id),
            };
            let done = q.execute(pool).await.map_err(db_err)?;
            if done.rows_affected() == 0 {
                return Err(not_found("outbox item", id));
            }
            Ok(())
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
    };
}

pub(crate) use workflow_queries;
