//! Agents' and contacts' settings, and what the care workflow reads of conversations:
//! the decide stage's context, the history, tags, SLA state, team queues and timers.

use super::*;

use earshot_core::rules::Actor;
use earshot_core::workflow::{ConversationEvent, SlaState, TeamConversation, Timer};

pub(crate) fn skills_json(s: &assign::Skills) -> String {
    serde_json::to_string(s).expect("skills serialize")
}

pub(crate) fn check_capacity(c: u32) -> StoreResult<()> {
    if c > 10_000 {
        return Err(store::StoreError::Invalid(format!(
            "capacity {c} is more than 10000 open conversations"
        )));
    }
    Ok(())
}

pub(crate) fn not_found(what: &'static str, id: i64) -> store::StoreError {
    store::StoreError::NotFound { what, id }
}

pub(crate) fn actor_parts(a: Actor) -> (&'static str, Option<i64>) {
    match a {
        Actor::Customer => ("customer", None),
        Actor::Agent(id) => ("agent", Some(id.0)),
        Actor::Rule(id) => ("rule", Some(id)),
        Actor::System => ("system", None),
    }
}

pub(crate) fn actor_of(kind: &str, id: Option<i64>) -> StoreResult<Actor> {
    Ok(match (kind, id) {
        ("customer", _) => Actor::Customer,
        ("agent", Some(id)) => Actor::Agent(AgentId(id)),
        ("rule", Some(id)) => Actor::Rule(id),
        ("system", _) => Actor::System,
        _ => return Err(crate::corrupt("event actor", kind)),
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
    let mut sql = crate::queries::Sql::new("UPDATE agents SET id = id");
    if let Some(team) = p.team_id {
        sql.push(", team_id = ")
            .bind(Bind::OptI64(team.map(|t| t.0)));
    }
    if let Some(s) = &p.skills {
        sql.push(", skills = ").bind(Bind::Text(skills_json(s)));
    }
    if let Some(c) = p.capacity {
        sql.push(", capacity = ").bind(Bind::I32(c as i32));
    }
    if let Some(a) = p.availability {
        sql.push(", availability = ")
            .bind(Bind::Text(a.as_str().into()));
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
            return Err(store::StoreError::Invalid(
                "tier: 1 to 64 characters".into(),
            ));
        }
    }
    if let Some(Some(v)) = p.value {
        if !v.is_finite() {
            return Err(store::StoreError::Invalid(
                "value: must be a finite number".into(),
            ));
        }
    }
    let mut sql = crate::queries::Sql::new("UPDATE contacts SET updated_at = ");
    sql.bind(Bind::I64(to_millis(now())));
    if let Some(o) = p.opted_out {
        sql.push(", opted_out = ").bind(Bind::Bool(o));
    }
    // A tier typed by hand wins over the one orders give (cleared, orders give it again).
    if let Some(t) = &p.tier {
        sql.push(", tier_source = NULL, tier = ")
            .bind(Bind::OptText(t.clone()));
    }
    if let Some(v) = p.value {
        sql.push(", value = ").bind(Bind::OptF64(v));
    }
    sql.push(" WHERE workspace_id = ").bind(Bind::I64(ws.0));
    sql.push(" AND id = ").bind(Bind::I64(id.0));
    sql.push(&format!(" RETURNING {CONTACT_COLUMNS}"));
    // An opt-out changed through the API is a consent event too: the ledger says so, in the
    // same transaction.
    let mut tx = pool.begin().await.map_err(db_err)?;
    let before: Option<(bool, Option<String>)> = sqlx::query_as(
        "SELECT opted_out, value_source FROM contacts WHERE workspace_id = $1 AND id = $2",
    )
    .bind(ws.0)
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    if p.value.is_some() && before.as_ref().is_some_and(|b| b.1.is_some()) {
        return Err(store::StoreError::Conflict(format!(
            "contact {}'s value comes from its orders (lifetime value); it cannot be typed by hand",
            id.0
        )));
    }
    let row = bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(not_found("contact", id.0))?;
    if let (Some((was, _)), Some(now_out)) = (before, p.opted_out) {
        if was != now_out {
            sqlx::query(
                "INSERT INTO consent_events (workspace_id, contact_id, purposes, channel, granted, at, how, message_id) \
                 VALUES ($1, $2, $3, NULL, $4, $5, 'api', NULL)",
            )
            .bind(ws.0)
            .bind(id.0)
            .bind(
                serde_json::to_string(earshot_core::consent::ENGAGEMENT)
                    .expect("purposes serialize"),
            )
            .bind(!now_out)
            .bind(to_millis(now()))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
    }
    tx.commit().await.map_err(db_err)?;
    contact(&row)
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
/// The batch's ids drive every lookup here (`+workspace_id` keeps SQLite from scanning the
/// workspace through an index that leads with it; the term is still checked).
pub(crate) async fn workflow_context_in(
    conn: &mut <Db as sqlx::Database>::Connection,
    ws: WorkspaceId,
    ids: &[ConversationId],
) -> StoreResult<Vec<earshot_core::workflow::Context>> {
    let mut ids: Vec<i64> = ids.iter().map(|c| c.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let mut sql = crate::queries::Sql::new(&format!(
            "SELECT {CONVERSATION_COLUMNS}, ct.tier, ct.value, ct.opted_out, c.sla_policy_id, c.sla_remaining_ms, \
             ct.display_name, (SELECT i.handle FROM identities i WHERE i.contact_id = ct.id AND i.handle IS NOT NULL \
             ORDER BY i.id LIMIT 1), ch.name, ct.engagement_level FROM conversations c \
             JOIN channels ch ON ch.id = c.channel_id JOIN contacts ct ON ct.id = c.contact_id \
             WHERE +c.workspace_id = "
        ));
        sql.bind(Bind::I64(ws.0)).push(" AND c.id IN ");
        id_list(&mut sql, chunk);
        let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?;
        let mut tags: std::collections::HashMap<i64, Vec<String>> =
            std::collections::HashMap::new();
        let mut sql = crate::queries::Sql::new(
            "SELECT conversation_id, tag FROM conversation_tags WHERE +workspace_id = ",
        );
        sql.bind(Bind::I64(ws.0)).push(" AND conversation_id IN ");
        id_list(&mut sql, chunk);
        sql.push(" ORDER BY conversation_id, tag");
        for r in bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
        {
            tags.entry(r.try_get(0).map_err(db_err)?)
                .or_default()
                .push(r.try_get(1).map_err(db_err)?);
        }
        let mut topics: std::collections::HashMap<i64, Vec<String>> =
            std::collections::HashMap::new();
        let mut sql = crate::queries::Sql::new(
            "SELECT DISTINCT m.conversation_id, t.name FROM message_topics mt JOIN messages m ON m.id = mt.message_id \
             JOIN topics t ON t.id = mt.topic_id WHERE +m.workspace_id = ",
        );
        sql.bind(Bind::I64(ws.0)).push(" AND m.conversation_id IN ");
        id_list(&mut sql, chunk);
        for r in bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_err)?
        {
            let name: String = r.try_get(1).map_err(db_err)?;
            topics
                .entry(r.try_get(0).map_err(db_err)?)
                .or_default()
                .push(name.to_lowercase());
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
                contact_engagement: r.try_get(n + 8).map_err(db_err)?,
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
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT id, conversation_id, at, kind, actor, actor_id, data FROM conversation_events \
         WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY at, id",
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
                data: serde_json::from_str(&data)
                    .map_err(|_| crate::corrupt("event data", &data))?,
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
    let rows: Vec<TeamConversationRow> = sqlx::query_as(
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
                channel: kind
                    .parse()
                    .map_err(|_| crate::corrupt("channel kind", &kind))?,
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
        Timer::WaitingSince => (
            "waiting_since",
            " AND status NOT IN ('snoozed', 'resolved')",
        ),
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
        .map(|(w, c, t)| {
            (
                WorkspaceId(w),
                ConversationId(c),
                earshot_core::time::from_millis(t),
            )
        })
        .collect())
}

/// A `conversation_events` row: id, conversation, at, kind, actor, actor id, data.
type EventRow = (i64, i64, i64, String, String, Option<i64>, String);
/// A team queue row: id, team, assignee, channel kind, priority, waiting since, first message.
type TeamConversationRow = (i64, i64, Option<i64>, String, i32, Option<i64>, i64);
