//! Merging contacts and undoing it, each in one transaction serialized with ingest (the
//! batch unit's lock), so a message arriving meanwhile is resolved before or after, never
//! half-way. A merged contact keeps its row, marked `merged_into`; the merge records what
//! moved and the survivor's fields before, so an undo gives both back as they were.

use super::*;
use earshot_core::{ContactId, ContactMerge, ConversationId, IdentityId};

/// `(1, 2, 3)` for `IN`: ids Earshot read from its own tables, so formatting them is safe;
/// an empty list matches nothing.
pub(crate) fn in_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "(NULL)".into();
    }
    let parts: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("({})", parts.join(", "))
}

/// Whether a contact of the workspace exists, what it was merged into, and whether it is one
/// of the brand's own accounts.
async fn contact_state(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    id: ContactId,
) -> StoreResult<Option<(Option<i64>, bool)>> {
    sqlx::query_as("SELECT merged_into, brand FROM contacts WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)
}

async fn merged_into(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    id: ContactId,
) -> StoreResult<Option<Option<i64>>> {
    Ok(contact_state(tx, ws, id).await?.map(|s| s.0))
}

async fn ids_of(
    tx: &mut sqlx::Transaction<'static, Db>,
    table: &str,
    ws: WorkspaceId,
    contact: ContactId,
) -> StoreResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(&format!(
        "SELECT id FROM {table} WHERE workspace_id = $1 AND contact_id = $2 ORDER BY id"
    ))
    .bind(ws.0)
    .bind(contact.0)
    .fetch_all(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The survivor's fields a merge may change, as they were.
#[derive(serde::Serialize, serde::Deserialize)]
struct Before {
    display_name: Option<String>,
    opted_out: bool,
    tier: Option<String>,
    value: Option<f64>,
    updated_at: i64,
    /// Whether value and tier came from orders (absent in merges made before orders).
    #[serde(default)]
    value_source: Option<String>,
    #[serde(default)]
    tier_source: Option<String>,
    /// The customer's own choices (absent in merges made before the preference page).
    #[serde(default)]
    engagement_level: Option<String>,
    #[serde(default)]
    preferred_channel: Option<String>,
}

pub(crate) async fn merge_contacts(
    store: &Backend,
    ws: WorkspaceId,
    into: ContactId,
    from: ContactId,
    at: earshot_core::time::Timestamp,
) -> StoreResult<ContactMerge> {
    let mut unit = store.begin_unit(ws).await?;
    let merge = merge_in(&mut unit.tx, ws, into, from, at, None).await?;
    unit.finish().await?;
    Ok(merge)
}

/// Merges `from` into `into` inside the caller's transaction (a merge by an agent, or a
/// deterministic identity link found by ingest, which says why in `reason`).
pub(crate) async fn merge_in(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    into: ContactId,
    from: ContactId,
    at: earshot_core::time::Timestamp,
    reason: Option<&str>,
) -> StoreResult<ContactMerge> {
    if into == from {
        return Err(StoreError::Invalid(format!(
            "contact {} cannot be merged into itself",
            into.0
        )));
    }
    for id in [into, from] {
        match contact_state(tx, ws, id).await? {
            None => {
                return Err(StoreError::NotFound {
                    what: "contact",
                    id: id.0,
                })
            }
            Some((Some(m), _)) => {
                return Err(StoreError::Conflict(format!(
                    "contact {} was merged into contact {m}; merge with that one",
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
    }
    let row = sqlx::query(
        "SELECT display_name, opted_out, tier, value, updated_at, value_source, tier_source, \
         engagement_level, preferred_channel FROM contacts WHERE id = $1",
    )
    .bind(into.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)?;
    let before = Before {
        display_name: row.try_get(0).map_err(db_err)?,
        opted_out: row.try_get(1).map_err(db_err)?,
        tier: row.try_get(2).map_err(db_err)?,
        value: row.try_get(3).map_err(db_err)?,
        updated_at: row.try_get(4).map_err(db_err)?,
        value_source: row.try_get(5).map_err(db_err)?,
        tier_source: row.try_get(6).map_err(db_err)?,
        engagement_level: row.try_get(7).map_err(db_err)?,
        preferred_channel: row.try_get(8).map_err(db_err)?,
    };
    let identities = ids_of(tx, "identities", ws, from).await?;
    let conversations = ids_of(tx, "conversations", ws, from).await?;
    let consent = ids_of(tx, "consent_events", ws, from).await?;
    let orders = ids_of(tx, "orders", ws, from).await?;
    // Surveys follow their conversations (undo moves back those of the conversations that go
    // back).
    for table in [
        "identities",
        "conversations",
        "consent_events",
        "orders",
        "surveys",
    ] {
        sqlx::query(&format!(
            "UPDATE {table} SET contact_id = $1 WHERE workspace_id = $2 AND contact_id = $3"
        ))
        .bind(into.0)
        .bind(ws.0)
        .bind(from.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    // The survivor takes what it lacks; a customer who opted out on either stays opted out.
    // (Every expression reads the row as it was before this statement.)
    sqlx::query(
        "UPDATE contacts SET \
         display_name = COALESCE(display_name, (SELECT f.display_name FROM contacts f WHERE f.id = $2)), \
         tier = COALESCE(tier, (SELECT f.tier FROM contacts f WHERE f.id = $2)), \
         tier_source = CASE WHEN tier IS NULL THEN (SELECT f.tier_source FROM contacts f WHERE f.id = $2) ELSE tier_source END, \
         value = COALESCE(value, (SELECT f.value FROM contacts f WHERE f.id = $2)), \
         value_source = CASE WHEN value IS NULL THEN (SELECT f.value_source FROM contacts f WHERE f.id = $2) ELSE value_source END, \
         engagement_level = COALESCE(engagement_level, (SELECT f.engagement_level FROM contacts f WHERE f.id = $2)), \
         preferred_channel = COALESCE(preferred_channel, (SELECT f.preferred_channel FROM contacts f WHERE f.id = $2)), \
         opted_out = (opted_out OR (SELECT f.opted_out FROM contacts f WHERE f.id = $2)), \
         updated_at = $3 WHERE id = $1",
    )
    .bind(into.0)
    .bind(from.0)
    .bind(to_millis(at))
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    sqlx::query("UPDATE contacts SET merged_into = $1 WHERE id = $2")
        .bind(into.0)
        .bind(from.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO contact_merges (workspace_id, into_id, from_id, identities, conversations, \
         survivor_before, merged_at, consent, reason, orders) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(ws.0)
    .bind(into.0)
    .bind(from.0)
    .bind(serde_json::to_string(&identities).expect("ids serialize"))
    .bind(serde_json::to_string(&conversations).expect("ids serialize"))
    .bind(serde_json::to_string(&before).expect("fields serialize"))
    .bind(to_millis(at))
    .bind(serde_json::to_string(&consent).expect("ids serialize"))
    .bind(reason)
    .bind(serde_json::to_string(&orders).expect("ids serialize"))
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)?;
    // The survivor's value and tier follow from the orders it holds now (the merged contact
    // is left as it was, for an undo).
    if !orders.is_empty() {
        derive_values_in(tx, ws, Some(&[into.0]), false, to_millis(at)).await?;
    }
    Ok(ContactMerge {
        id,
        workspace_id: ws,
        into_id: into,
        from_id: from,
        identities: identities.into_iter().map(IdentityId).collect(),
        conversations: conversations.into_iter().map(ConversationId).collect(),
        orders,
        merged_at: at,
        undone_at: None,
        reason: reason.map(str::to_string),
    })
}

type MergeRow = (
    i64,
    i64,
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    String,
);

const MERGE_COLUMNS: &str = "id, into_id, from_id, identities, conversations, survivor_before, \
     merged_at, undone_at, reason, orders";

fn merge_of(ws: WorkspaceId, r: MergeRow) -> StoreResult<(ContactMerge, String)> {
    let (id, into, from, identities, conversations, before, merged_at, undone_at, reason, orders) =
        r;
    let ids = |s: &str| -> StoreResult<Vec<i64>> {
        serde_json::from_str(s).map_err(|_| crate::corrupt("merge ids", s))
    };
    Ok((
        ContactMerge {
            id,
            workspace_id: ws,
            into_id: ContactId(into),
            from_id: ContactId(from),
            identities: ids(&identities)?.into_iter().map(IdentityId).collect(),
            conversations: ids(&conversations)?
                .into_iter()
                .map(ConversationId)
                .collect(),
            orders: ids(&orders)?,
            merged_at: earshot_core::time::from_millis(merged_at),
            undone_at: undone_at.map(earshot_core::time::from_millis),
            reason,
        },
        before,
    ))
}

pub(crate) async fn undo_merge(
    store: &Backend,
    ws: WorkspaceId,
    merge: i64,
    at: earshot_core::time::Timestamp,
) -> StoreResult<ContactMerge> {
    let mut unit = store.begin_unit(ws).await?;
    let tx = &mut unit.tx;
    let row: Option<MergeRow> = sqlx::query_as(&format!(
        "SELECT {MERGE_COLUMNS} FROM contact_merges WHERE workspace_id = $1 AND id = $2"
    ))
    .bind(ws.0)
    .bind(merge)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    let Some(row) = row else {
        return Err(StoreError::NotFound {
            what: "merge",
            id: merge,
        });
    };
    let (mut m, before) = merge_of(ws, row)?;
    if let Some(when) = m.undone_at {
        return Err(StoreError::Conflict(format!(
            "merge {merge} was already undone at {}",
            when.to_rfc3339()
        )));
    }
    if let Some(Some(later)) = merged_into(tx, ws, m.into_id).await? {
        return Err(StoreError::Conflict(format!(
            "contact {} was merged into contact {later} since; undo that merge first",
            m.into_id.0
        )));
    }
    let before: Before =
        serde_json::from_str(&before).map_err(|_| crate::corrupt("merge snapshot", &before))?;
    let (consent, orders): (String, String) =
        sqlx::query_as("SELECT consent, orders FROM contact_merges WHERE id = $1")
            .bind(merge)
            .fetch_one(&mut **tx)
            .await
            .map_err(db_err)?;
    let consent: Vec<i64> =
        serde_json::from_str(&consent).map_err(|_| crate::corrupt("merge ids", &consent))?;
    let orders: Vec<i64> =
        serde_json::from_str(&orders).map_err(|_| crate::corrupt("merge ids", &orders))?;
    for (table, rows) in [("consent_events", &consent), ("orders", &orders)] {
        sqlx::query(&format!(
            "UPDATE {table} SET contact_id = $1 WHERE workspace_id = $2 AND contact_id = $3 AND id IN {}",
            in_list(rows)
        ))
        .bind(m.from_id.0)
        .bind(ws.0)
        .bind(m.into_id.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    }
    let identities: Vec<i64> = m.identities.iter().map(|i| i.0).collect();
    let conversations: Vec<i64> = m.conversations.iter().map(|c| c.0).collect();
    sqlx::query(&format!(
        "UPDATE identities SET contact_id = $1 WHERE workspace_id = $2 AND contact_id = $3 AND id IN {}",
        in_list(&identities)
    ))
    .bind(m.from_id.0)
    .bind(ws.0)
    .bind(m.into_id.0)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    // Orders that name what its identities verify (and the survivor's own do not) are its
    // own — those that came since the merge, and those ingest attached when it joined them —:
    // they go back too.
    let theirs = |kind: &str| {
        format!(
            "{kind} IN (SELECT f.value FROM identifiers f WHERE f.workspace_id = $2 AND f.kind = '{kind}' \
             AND f.verified AND f.identity_id IN {ids}) \
             AND {kind} NOT IN (SELECT f.value FROM identifiers f JOIN identities i ON i.id = f.identity_id \
             WHERE f.workspace_id = $2 AND f.kind = '{kind}' AND f.verified AND i.contact_id = $3)",
            ids = in_list(&identities)
        )
    };
    sqlx::query(&format!(
        "UPDATE orders SET contact_id = $1 WHERE workspace_id = $2 AND contact_id = $3 \
         AND (({}) OR ({}))",
        theirs("email"),
        theirs("phone")
    ))
    .bind(m.from_id.0)
    .bind(ws.0)
    .bind(m.into_id.0)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    // Its conversations go back, and so do those its identities started since the merge
    // (unless the survivor's own identities wrote in them too).
    sqlx::query(&format!(
        "UPDATE conversations SET contact_id = $1 WHERE workspace_id = $2 AND contact_id = $3 AND (id IN {convs} \
         OR (created_at >= $4 AND id IN (SELECT conversation_id FROM messages WHERE identity_id IN {ids}) \
             AND id NOT IN (SELECT conversation_id FROM messages WHERE identity_id IN \
                 (SELECT id FROM identities WHERE workspace_id = $2 AND contact_id = $3))))",
        convs = in_list(&conversations),
        ids = in_list(&identities),
    ))
    .bind(m.from_id.0)
    .bind(ws.0)
    .bind(m.into_id.0)
    .bind(to_millis(m.merged_at))
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "UPDATE surveys SET contact_id = $1 WHERE workspace_id = $2 AND contact_id = $3 AND conversation_id IN \
         (SELECT id FROM conversations WHERE workspace_id = $2 AND contact_id = $1)",
    )
    .bind(m.from_id.0)
    .bind(ws.0)
    .bind(m.into_id.0)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "UPDATE contacts SET display_name = $1, opted_out = $2, tier = $3, value = $4, updated_at = $5, \
         value_source = $6, tier_source = $7, engagement_level = $8, preferred_channel = $9 WHERE id = $10",
    )
    .bind(&before.display_name)
    .bind(before.opted_out)
    .bind(&before.tier)
    .bind(before.value)
    .bind(before.updated_at)
    .bind(&before.value_source)
    .bind(&before.tier_source)
    .bind(&before.engagement_level)
    .bind(&before.preferred_channel)
    .bind(m.into_id.0)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    sqlx::query("UPDATE contacts SET merged_into = NULL WHERE id = $1")
        .bind(m.from_id.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    // Undoing a join ingest made on its own says they are two people: it is not made again.
    if m.reason.is_some() {
        reject_in(tx, ws, m.into_id.0, m.from_id.0, at).await?;
    }
    // Orders that came for either since the merge: each side's value follows its orders
    // (written only where it differs, so an undo with nothing new leaves both as they were).
    derive_values_in(
        tx,
        ws,
        Some(&[m.into_id.0, m.from_id.0]),
        false,
        to_millis(at),
    )
    .await?;
    sqlx::query("UPDATE contact_merges SET undone_at = $1 WHERE id = $2")
        .bind(to_millis(at))
        .bind(merge)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    unit.finish().await?;
    m.undone_at = Some(at);
    Ok(m)
}

pub(crate) async fn contact_merges(
    pool: &Pool,
    ws: WorkspaceId,
    contact: ContactId,
) -> StoreResult<Vec<ContactMerge>> {
    let rows: Vec<MergeRow> = sqlx::query_as(&format!(
        "SELECT {MERGE_COLUMNS} FROM contact_merges WHERE workspace_id = $1 \
         AND (into_id = $2 OR from_id = $2) ORDER BY id DESC"
    ))
    .bind(ws.0)
    .bind(contact.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter()
        .map(|r| merge_of(ws, r).map(|(m, _)| m))
        .collect()
}
