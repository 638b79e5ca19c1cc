//! What the identity matcher reads and remembers: blocking keys beside identities (kept by
//! ingest), a contact's candidates by shared keys, the person records it compares, and the
//! suggestions agents rejected.

use super::*;
use crate::queries::Sql;
use earshot_core::identity::{blocking_keys, PersonRecord};
use earshot_core::ContactId;
use std::collections::HashMap;

/// Records blocking keys (identity id, key); known ones stay.
pub(crate) async fn insert_identity_keys_in(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    rows: &[(i64, String)],
) -> StoreResult<()> {
    insert_keys(tx, ws, rows).await
}

async fn insert_keys(
    conn: &mut <Db as sqlx::Database>::Connection,
    ws: WorkspaceId,
    rows: &[(i64, String)],
) -> StoreResult<()> {
    for chunk in rows.chunks(1000) {
        let values: Vec<Vec<Bind>> = chunk
            .iter()
            .map(|(identity, key)| {
                vec![
                    Bind::I64(ws.0),
                    Bind::I64(*identity),
                    Bind::Text(key.clone()),
                ]
            })
            .collect();
        let mut sql =
            Sql::new("INSERT INTO identity_keys (workspace_id, identity_id, key) SELECT ");
        sql.push(&format!("{}, {}, {}", column(1), column(2), column(3)))
            .push(" FROM ");
        rows_source(&mut sql, 3, &values);
        sql.push(" WHERE true ON CONFLICT (workspace_id, key, identity_id) DO NOTHING");
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// Fills the blocking keys of identities stored before the matcher kept them (once: when
/// the table is empty and identities exist), in bounded chunks.
pub(crate) async fn backfill_identity_keys(pool: &Pool) -> StoreResult<u64> {
    let any_key: Option<(i64,)> = sqlx::query_as("SELECT identity_id FROM identity_keys LIMIT 1")
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    if any_key.is_some() {
        return Ok(0);
    }
    let mut after = 0_i64;
    let mut filled = 0_u64;
    loop {
        type Row = (i64, i64, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, workspace_id, display_name, handle FROM identities WHERE id > $1 ORDER BY id LIMIT 5000",
        )
        .bind(after)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
        let Some(last) = rows.last() else {
            return Ok(filled);
        };
        after = last.0;
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let mut sql =
            Sql::new("SELECT identity_id, kind, value FROM identifiers WHERE identity_id IN ");
        id_list(&mut sql, &ids);
        let identifiers = bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
        let mut records: HashMap<i64, (i64, PersonRecord)> = HashMap::new();
        for (id, ws, name, handle) in rows {
            let record = PersonRecord {
                names: name.into_iter().collect(),
                handles: handle.into_iter().collect(),
                ..PersonRecord::default()
            };
            records.insert(id, (ws, record));
        }
        for r in &identifiers {
            let (id, kind, value): (i64, String, String) = (
                r.try_get(0).map_err(db_err)?,
                r.try_get(1).map_err(db_err)?,
                r.try_get(2).map_err(db_err)?,
            );
            if let Some((_, record)) = records.get_mut(&id) {
                if kind == "email" {
                    record.emails.push(value);
                } else {
                    record.phones.push(value);
                }
            }
        }
        let mut by_ws: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
        for (id, (ws, record)) in records {
            let keys = by_ws.entry(ws).or_default();
            keys.extend(blocking_keys(&record).into_iter().map(|k| (id, k)));
        }
        let mut conn = pool.acquire().await.map_err(db_err)?;
        for (ws, keys) in by_ws {
            filled += keys.len() as u64;
            insert_keys(&mut conn, WorkspaceId(ws), &keys).await?;
        }
    }
}

/// The live customer contacts sharing a blocking key with `contact`'s identities, most shared
/// keys first, skipping keys that more than `max_block` identities share (a common first name
/// alone is no evidence) and pairs an agent rejected.
pub(crate) async fn match_candidates(
    pool: &Pool,
    ws: WorkspaceId,
    contact: ContactId,
    max_block: usize,
    limit: u32,
) -> StoreResult<Vec<ContactId>> {
    let keys: Vec<(String, i64)> = sqlx::query_as(
        "SELECT DISTINCT k.key, (SELECT COUNT(*) FROM (SELECT 1 FROM identity_keys kk \
             WHERE kk.workspace_id = k.workspace_id AND kk.key = k.key LIMIT $3) AS capped) \
         FROM identity_keys k JOIN identities i ON i.id = k.identity_id \
         WHERE k.workspace_id = $1 AND i.contact_id = $2",
    )
    .bind(ws.0)
    .bind(contact.0)
    .bind(max_block as i64 + 1)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let keys: Vec<&str> = keys
        .iter()
        .filter(|(_, n)| *n as usize <= max_block)
        .map(|(k, _)| k.as_str())
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT i.contact_id, COUNT(DISTINCT k.key) AS shared FROM identity_keys k \
         JOIN identities i ON i.id = k.identity_id JOIN contacts c ON c.id = i.contact_id \
         WHERE k.workspace_id = ",
    );
    sql.bind(Bind::I64(ws.0)).push(" AND k.key IN ");
    text_list(&mut sql, &keys);
    sql.push(" AND i.contact_id <> ")
        .bind(Bind::I64(contact.0))
        .push(
            " AND c.merged_into IS NULL AND NOT c.brand AND NOT EXISTS (SELECT 1 FROM contact_match_rejections r \
             WHERE r.workspace_id = k.workspace_id AND ((r.lo = ",
        )
        .bind(Bind::I64(contact.0))
        .push(" AND r.hi = i.contact_id) OR (r.hi = ")
        .bind(Bind::I64(contact.0))
        .push(" AND r.lo = i.contact_id))) GROUP BY i.contact_id ORDER BY shared DESC, i.contact_id LIMIT ")
        .bind(Bind::I64(i64::from(limit)));
    let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map(ContactId).map_err(db_err))
        .collect()
}

/// Most recent customer messages per contact that a person record reads.
const RECORD_MESSAGES: i64 = 200;

/// What the matcher compares, per contact (in the order asked; unknown ids are left out):
/// its identities' names and handles, its email addresses and phone numbers, and the
/// languages, hours (UTC) and intents of its latest customer messages.
pub(crate) async fn person_records(
    pool: &Pool,
    ws: WorkspaceId,
    contacts: &[ContactId],
) -> StoreResult<Vec<PersonRecord>> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = contacts.iter().map(|c| c.0).collect();
    let mut records: HashMap<i64, PersonRecord> = HashMap::new();

    let mut sql =
        Sql::new("SELECT contact_id, display_name, handle FROM identities WHERE workspace_id = ");
    sql.bind(Bind::I64(ws.0)).push(" AND contact_id IN ");
    id_list(&mut sql, &ids);
    sql.push(" ORDER BY id");
    for r in bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
    {
        let contact: i64 = r.try_get(0).map_err(db_err)?;
        let record = records.entry(contact).or_insert_with(|| PersonRecord {
            id: contact,
            ..PersonRecord::default()
        });
        if let Some(name) = r.try_get::<Option<String>, _>(1).map_err(db_err)? {
            record.names.push(name);
        }
        if let Some(handle) = r.try_get::<Option<String>, _>(2).map_err(db_err)? {
            record.handles.push(handle);
        }
    }

    let mut sql = Sql::new(
        "SELECT i.contact_id, f.kind, f.value FROM identifiers f JOIN identities i ON i.id = f.identity_id \
         WHERE f.workspace_id = ",
    );
    sql.bind(Bind::I64(ws.0)).push(" AND i.contact_id IN ");
    id_list(&mut sql, &ids);
    for r in bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
    {
        let contact: i64 = r.try_get(0).map_err(db_err)?;
        let kind: String = r.try_get(1).map_err(db_err)?;
        let value: String = r.try_get(2).map_err(db_err)?;
        if let Some(record) = records.get_mut(&contact) {
            let list = if kind == "email" {
                &mut record.emails
            } else {
                &mut record.phones
            };
            if !list.contains(&value) {
                list.push(value);
            }
        }
    }

    let mut sql = Sql::new(
        "SELECT contact_id, sent_at, language, intents FROM (SELECT cv.contact_id, m.sent_at, e.language, e.intents, \
         ROW_NUMBER() OVER (PARTITION BY cv.contact_id ORDER BY m.id DESC) AS n \
         FROM conversations cv JOIN messages m ON m.conversation_id = cv.id \
         JOIN identities i ON i.id = m.identity_id AND i.contact_id = cv.contact_id \
         LEFT JOIN message_enrichments e ON e.message_id = m.id \
         WHERE cv.workspace_id = ",
    );
    sql.bind(Bind::I64(ws.0))
        .push(" AND m.direction = 'in' AND cv.contact_id IN ");
    id_list(&mut sql, &ids);
    sql.push(") AS latest WHERE n <= ")
        .bind(Bind::I64(RECORD_MESSAGES));
    for r in bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
    {
        let contact: i64 = r.try_get(0).map_err(db_err)?;
        let sent_at: i64 = r.try_get(1).map_err(db_err)?;
        let language: Option<String> = r.try_get(2).map_err(db_err)?;
        let intents: Option<String> = r.try_get(3).map_err(db_err)?;
        let Some(record) = records.get_mut(&contact) else {
            continue;
        };
        let hour = sent_at.div_euclid(3_600_000).rem_euclid(24) as usize;
        record.hours[hour] += 1;
        if let Some(l) = language.filter(|l| l != "und" && !record.languages.contains(l)) {
            record.languages.push(l);
        }
        let intents: Vec<String> = intents
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        for i in intents {
            if !record.topics.contains(&i) {
                record.topics.push(i);
            }
        }
    }
    Ok(ids.iter().filter_map(|id| records.remove(id)).collect())
}

/// Remembers that an agent said two contacts are different people.
pub(crate) async fn reject_match(
    pool: &Pool,
    ws: WorkspaceId,
    a: ContactId,
    b: ContactId,
    at: earshot_core::time::Timestamp,
) -> StoreResult<()> {
    let (lo, hi) = (a.0.min(b.0), a.0.max(b.0));
    sqlx::query(
        "INSERT INTO contact_match_rejections (workspace_id, lo, hi, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, lo, hi) DO NOTHING",
    )
    .bind(ws.0)
    .bind(lo)
    .bind(hi)
    .bind(to_millis(at))
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn save_match_parameters(
    pool: &Pool,
    ws: WorkspaceId,
    parameters: &str,
    records: u64,
    at: earshot_core::time::Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO match_parameters (workspace_id, parameters, records, fitted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id) DO UPDATE SET parameters = excluded.parameters, records = excluded.records, \
         fitted_at = excluded.fitted_at",
    )
    .bind(ws.0)
    .bind(parameters)
    .bind(records as i64)
    .bind(to_millis(at))
    .execute(pool)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn match_parameters(
    pool: &Pool,
    ws: WorkspaceId,
    known: Option<earshot_core::time::Timestamp>,
) -> StoreResult<Option<(Option<String>, u64, earshot_core::time::Timestamp)>> {
    let row: Option<(Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT CASE WHEN fitted_at = $2 THEN NULL ELSE parameters END, records, fitted_at \
         FROM match_parameters WHERE workspace_id = $1",
    )
    .bind(ws.0)
    .bind(known.map_or(-1, to_millis))
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    Ok(row.map(|(p, n, at)| (p, n as u64, earshot_core::time::from_millis(at))))
}

/// Whether an agent said (or undid an automatic join to say) that `a` and `b` are two people.
pub(crate) async fn rejected_in(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    a: i64,
    b: i64,
) -> StoreResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT lo FROM contact_match_rejections WHERE workspace_id = $1 AND lo = $2 AND hi = $3",
    )
    .bind(ws.0)
    .bind(a.min(b))
    .bind(a.max(b))
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(row.is_some())
}

/// Remembers a rejection inside the caller's transaction.
pub(crate) async fn reject_in(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    a: i64,
    b: i64,
    at: earshot_core::time::Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO contact_match_rejections (workspace_id, lo, hi, at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, lo, hi) DO NOTHING",
    )
    .bind(ws.0)
    .bind(a.min(b))
    .bind(a.max(b))
    .bind(to_millis(at))
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}
