//! Conversation changes with their audit trail, written set-based: the changes of a whole
//! batch (worked out in memory by [`crate::changes::plan`]) cost one read of the
//! conversations, one of their tags, one check per kind of reference, and one statement per
//! kind of write (columns, new tags, events, agents), whatever their number.

use super::*;

use crate::changes::{Columns, Writes};
use crate::queries::Sql;
use earshot_core::rules::Actor;
use earshot_core::workflow::{
    ChangeRequest, Changed, ConversationChange, ConversationEvent, NewEvent,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Rows per statement: far below both databases' limits on bound parameters.
const CHUNK: usize = 500;

pub(crate) async fn change_conversation(
    pool: &Pool,
    ws: WorkspaceId,
    id: ConversationId,
    change: &ConversationChange,
    actor: Actor,
    extra: &[NewEvent],
) -> StoreResult<Changed> {
    let item = ChangeRequest {
        conversation: id,
        change: change.clone(),
        actor,
        extra: extra.to_vec(),
    };
    let mut tx = pool.begin().await.map_err(db_err)?;
    let mut changed = change_conversations_in(&mut tx, ws, std::slice::from_ref(&item)).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(changed.pop().expect("one change, one result"))
}

/// Several changes, in order, in one transaction (all or none).
pub(crate) async fn change_conversations(
    pool: &Pool,
    ws: WorkspaceId,
    items: &[ChangeRequest],
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
    items: &[ChangeRequest],
) -> StoreResult<Vec<Changed>> {
    change_conversations_folding(tx, ws, items, &mut Vec::new()).await
}

/// [`change_conversations_in`] in a batch's unit, folding the priority and SLA events that
/// ingest holds for the same conversations into the changes' own.
pub(crate) async fn change_conversations_folding(
    tx: &mut Tx<'_>,
    ws: WorkspaceId,
    items: &[ChangeRequest],
    held: &mut Vec<crate::ingest::EventRow>,
) -> StoreResult<Vec<Changed>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let ids: BTreeSet<i64> = items.iter().map(|i| i.conversation.0).collect();
    let current = read_current(tx, ws, &ids).await?;
    check_references(tx, ws, items).await?;
    let at = now();
    let mut writes = crate::changes::plan(items, current, at)?;
    crate::changes::fold_held(&mut writes.applied, held);
    crate::changes::fold_repeats(&mut writes.applied);
    let at = to_millis(at);
    write_columns(tx, ws, &writes.columns, at).await?;
    // The agent who resolved it, for a conversation without an assignee.
    let resolved: Vec<(i64, Option<i64>)> = writes
        .applied
        .iter()
        .zip(items)
        .filter(|(a, _)| {
            a.after.status == ConversationStatus::Resolved
                && a.before.status != ConversationStatus::Resolved
        })
        .map(|(a, item)| {
            let agent = match item.actor {
                Actor::Agent(id) => Some(id.0),
                _ => None,
            };
            (a.after.id.0, agent)
        })
        .collect();
    schedule_resolved(tx, ws, &resolved, at).await?;
    write_tags(tx, ws, &writes).await?;
    let events = insert_events(tx, ws, &writes, at).await?;
    if !writes.assigned_agents.is_empty() {
        let ids: Vec<i64> = writes.assigned_agents.iter().copied().collect();
        let mut sql = Sql::new("UPDATE agents SET last_assigned_at = ");
        sql.bind(Bind::I64(at)).push(" WHERE workspace_id = ");
        sql.bind(Bind::I64(ws.0)).push(" AND id IN ");
        id_list(&mut sql, &ids);
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(writes
        .applied
        .into_iter()
        .zip(events)
        .map(|(a, events)| Changed {
            before: a.before,
            after: a.after,
            tags: a.tags,
            events,
        })
        .collect())
}

/// The conversations as stored, with their tags (sorted).
async fn read_current(
    tx: &mut Tx<'_>,
    ws: WorkspaceId,
    ids: &BTreeSet<i64>,
) -> StoreResult<HashMap<ConversationId, (Conversation, Vec<String>)>> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut sql = Sql::new(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c JOIN channels ch ON ch.id = c.channel_id \
             WHERE +c.workspace_id = "
        ));
        sql.bind(Bind::I64(ws.0)).push(" AND c.id IN ");
        id_list(&mut sql, chunk);
        for r in bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?
        {
            let c = conversation(&r)?;
            out.insert(c.id, (c, Vec::new()));
        }
        let mut sql = Sql::new(
            "SELECT conversation_id, tag FROM conversation_tags WHERE conversation_id IN ",
        );
        id_list(&mut sql, chunk);
        sql.push(" ORDER BY conversation_id, tag");
        for r in bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?
        {
            let id = ConversationId(r.try_get(0).map_err(db_err)?);
            if let Some((_, tags)) = out.get_mut(&id) {
                tags.push(r.try_get(1).map_err(db_err)?);
            }
        }
    }
    Ok(out)
}

/// Every agent, team and SLA policy the changes name exists in the workspace.
async fn check_references(
    tx: &mut Tx<'_>,
    ws: WorkspaceId,
    items: &[ChangeRequest],
) -> StoreResult<()> {
    for (table, what, wanted) in crate::changes::references(items) {
        if wanted.is_empty() {
            continue;
        }
        let ids: Vec<i64> = wanted.iter().copied().collect();
        let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE workspace_id = "));
        sql.bind(Bind::I64(ws.0)).push(" AND id IN ");
        id_list(&mut sql, &ids);
        let mut found = BTreeSet::new();
        for r in bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?
        {
            found.insert(r.try_get::<i64, _>(0).map_err(db_err)?);
        }
        if let Some(missing) = wanted.difference(&found).next() {
            return Err(store::StoreError::Invalid(format!(
                "{what} {missing} does not exist in this workspace"
            )));
        }
    }
    Ok(())
}

/// One UPDATE for every conversation's columns: each column some change sets is a (set?,
/// value) pair of the row (just the value when every row sets it), kept as stored where not
/// set.
async fn write_columns(
    tx: &mut Tx<'_>,
    ws: WorkspaceId,
    columns: &BTreeMap<i64, Columns>,
    at: i64,
) -> StoreResult<()> {
    const SET: [&str; 11] = [
        "status",
        "assignee_id",
        "team_id",
        "priority",
        "priority_detail",
        "snoozed_until",
        "sla_due_at",
        "sla_warn_at",
        "resolution_due_at",
        "sla_remaining_ms",
        "sla_policy_id",
    ];
    let rows: Vec<(&i64, &Columns)> = columns.iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let pairs: Vec<[(bool, Bind); 11]> = chunk.iter().map(|(_, c)| column_pairs(c)).collect();
        // Only the columns some row sets; a column every row sets needs no flag.
        let mut sql = Sql::new("UPDATE conversations SET updated_at = ");
        sql.bind(Bind::I64(at));
        let mut layout = Vec::new();
        let mut width = 1;
        for (n, name) in SET.iter().enumerate() {
            let set = pairs.iter().filter(|p| p[n].0).count();
            if set == 0 {
                continue;
            }
            let every = set == pairs.len();
            if every {
                width += 1;
                sql.push(&format!(", {name} = {}", column(width)));
            } else {
                width += 2;
                sql.push(&format!(
                    ", {name} = CASE WHEN {} THEN {} ELSE {name} END",
                    column(width - 1),
                    column(width)
                ));
            }
            layout.push((n, every));
        }
        let values: Vec<Vec<Bind>> = chunk
            .iter()
            .zip(pairs)
            .map(|((id, _), pairs)| {
                let mut row = vec![Bind::I64(**id)];
                for &(n, every) in &layout {
                    let (set, value) = pairs[n].clone();
                    if !every {
                        row.push(Bind::Bool(set));
                    }
                    row.push(value);
                }
                row
            })
            .collect();
        sql.push(" FROM ");
        rows_source(&mut sql, width, &values);
        // `+`: the rows drive the statement (each conversation by its id), not a workspace scan.
        sql.push(" WHERE +conversations.workspace_id = ");
        sql.bind(Bind::I64(ws.0))
            .push(&format!(" AND conversations.id = {}", column(1)));
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// `column(1), column(2), …` for a SELECT list.
fn columns(width: usize) -> String {
    (1..=width).map(column).collect::<Vec<_>>().join(", ")
}

/// A conversation's (set?, value) pair per column of [`write_columns`], in its order.
fn column_pairs(c: &Columns) -> [(bool, Bind); 11] {
    let opt = |v: &Option<Option<i64>>| (v.is_some(), Bind::OptI64(v.flatten()));
    [
        (c.status.is_some(), Bind::OptText(c.status.clone())),
        opt(&c.assignee),
        opt(&c.team),
        (c.priority.is_some(), Bind::OptI32(c.priority)),
        (
            c.priority_detail.is_some(),
            Bind::OptText(c.priority_detail.clone()),
        ),
        opt(&c.snoozed_until),
        opt(&c.sla_due_at),
        opt(&c.sla_warn_at),
        opt(&c.resolution_due_at),
        opt(&c.sla_remaining_ms),
        opt(&c.sla_policy),
    ]
}

async fn write_tags(tx: &mut Tx<'_>, ws: WorkspaceId, writes: &Writes) -> StoreResult<()> {
    let added: Vec<&(i64, String)> = writes.add_tags.iter().collect();
    for chunk in added.chunks(CHUNK) {
        let values: Vec<Vec<Bind>> = chunk
            .iter()
            .map(|(id, tag)| vec![Bind::I64(ws.0), Bind::I64(*id), Bind::Text(tag.clone())])
            .collect();
        let mut sql = Sql::new(
            "INSERT INTO conversation_tags (workspace_id, conversation_id, tag) \
             SELECT ",
        );
        sql.push(&columns(3)).push(" FROM ");
        rows_source(&mut sql, 3, &values);
        // `WHERE true`: SQLite would read `ON CONFLICT` after a bare FROM as a join constraint.
        sql.push(" WHERE true");
        sql.push(" ON CONFLICT (conversation_id, tag) DO NOTHING");
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    // Rare (rules and agents mostly add): one statement each.
    for (id, tag) in &writes.remove_tags {
        sqlx::query("DELETE FROM conversation_tags WHERE conversation_id = $1 AND tag = $2")
            .bind(*id)
            .bind(tag)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// Every change's events in one INSERT per chunk, with ids taken for them beforehand.
async fn insert_events(
    tx: &mut Tx<'_>,
    ws: WorkspaceId,
    writes: &Writes,
    at: i64,
) -> StoreResult<Vec<Vec<ConversationEvent>>> {
    let flat: Vec<(usize, &NewEvent)> = writes
        .applied
        .iter()
        .enumerate()
        .flat_map(|(n, a)| a.events.iter().map(move |e| (n, e)))
        .collect();
    let mut recorded: Vec<Vec<ConversationEvent>> = vec![Vec::new(); writes.applied.len()];
    let when = earshot_core::time::from_millis(at);
    let ids = next_ids(tx, "conversation_events", flat.len()).await?;
    for (chunk, chunk_ids) in flat.chunks(CHUNK).zip(ids.chunks(CHUNK)) {
        let values: Vec<Vec<Bind>> = chunk
            .iter()
            .zip(chunk_ids)
            .map(|((n, e), id)| {
                let applied = &writes.applied[*n];
                let (actor_kind, actor_id) = actor_parts(applied.actor);
                vec![
                    Bind::I64(*id),
                    Bind::I64(applied.after.id.0),
                    Bind::Text(e.kind.into()),
                    Bind::Text(actor_kind.into()),
                    Bind::OptI64(actor_id),
                    Bind::Text(e.data.to_string()),
                ]
            })
            .collect();
        // The workspace and the time are the statement's, not each row's.
        let mut sql = Sql::new(&format!(
            "INSERT INTO conversation_events (id, workspace_id, conversation_id, at, kind, actor, actor_id, data) \
             SELECT {}, ",
            column(1)
        ));
        sql.bind(Bind::I64(ws.0))
            .push(&format!(", {}, ", column(2)));
        sql.bind(Bind::I64(at)).push(&format!(
            ", {}, {}, {}, {} FROM ",
            column(3),
            column(4),
            column(5),
            column(6)
        ));
        rows_source(&mut sql, 6, &values);
        sql.push(" WHERE true");
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        for ((n, e), id) in chunk.iter().zip(chunk_ids) {
            let applied = &writes.applied[*n];
            recorded[*n].push(ConversationEvent {
                id: *id,
                conversation_id: applied.after.id,
                at: when,
                kind: e.kind.to_string(),
                actor: applied.actor,
                data: e.data.clone(),
            });
        }
    }
    Ok(recorded)
}
