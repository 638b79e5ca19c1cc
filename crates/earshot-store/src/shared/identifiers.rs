//! Strong identifiers beside identities (email addresses, phone numbers): recorded by
//! ingest, looked up by value to join contacts, and read for a contact's profile.

use super::*;
use crate::ingest::{Holder, NewIdentifier};
use crate::queries::Sql;
use earshot_core::identifiers::{IdentifierKind, StoredIdentifier};
use earshot_core::{ContactId, IdentityId};

/// Records identifiers; one already recorded stays, and becomes verified when it is now.
pub(crate) async fn insert_identifiers_in(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    rows: &[NewIdentifier],
    now: i64,
) -> StoreResult<()> {
    for chunk in rows.chunks(500) {
        let values: Vec<Vec<Bind>> = chunk
            .iter()
            .map(|r| {
                vec![
                    Bind::I64(ws.0),
                    Bind::I64(r.identity_id),
                    Bind::Text(r.kind.as_str().into()),
                    Bind::Text(r.value.clone()),
                    Bind::Bool(r.verified),
                    Bind::OptI64(r.message_id),
                    Bind::I64(now),
                ]
            })
            .collect();
        let mut sql = Sql::new(
            "INSERT INTO identifiers (workspace_id, identity_id, kind, value, verified, message_id, created_at) SELECT ",
        );
        let cols: Vec<String> = (1..=7).map(column).collect();
        sql.push(&cols.join(", ")).push(" FROM ");
        rows_source(&mut sql, 7, &values);
        // `WHERE true`: SQLite would read `ON CONFLICT` after a bare FROM as a join constraint.
        sql.push(
            " WHERE true ON CONFLICT (workspace_id, identity_id, kind, value) DO UPDATE SET \
             verified = CASE WHEN excluded.verified THEN excluded.verified ELSE identifiers.verified END",
        );
        bind_all(sqlx::query(&sql.text), &sql.binds)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// The live customer contacts (not merged away, not the brand's) holding any of `keys`: one
/// statement per kind, each a lookup of `identifiers_by_value` by (workspace, kind, value)
/// — an `OR` of the kinds made SQLite search the index by workspace alone, reading every
/// identifier of the workspace.
pub(crate) async fn identifier_holders_in(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    keys: &[(IdentifierKind, &str)],
) -> StoreResult<Vec<Holder>> {
    let mut out = Vec::new();
    for kind in [IdentifierKind::Email, IdentifierKind::Phone] {
        let values: Vec<&str> = keys
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, v)| *v)
            .collect();
        if values.is_empty() {
            continue;
        }
        let mut sql = Sql::new(
            "SELECT f.value, i.contact_id, f.verified, c.display_name FROM identifiers f \
             JOIN identities i ON i.id = f.identity_id JOIN contacts c ON c.id = i.contact_id \
             WHERE f.workspace_id = ",
        );
        sql.bind(Bind::I64(ws.0))
            .push(" AND f.kind = ")
            .bind(Bind::Text(kind.as_str().into()))
            .push(" AND f.value IN ");
        text_list(&mut sql, &values);
        sql.push(" AND c.merged_into IS NULL AND NOT c.brand");
        let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_err)?;
        for r in &rows {
            out.push(Holder {
                kind,
                value: r.try_get(0).map_err(db_err)?,
                contact_id: r.try_get(1).map_err(db_err)?,
                verified: r.try_get(2).map_err(db_err)?,
                display_name: r.try_get(3).map_err(db_err)?,
            });
        }
    }
    Ok(out)
}

/// The verified identifiers of each of `contacts`: (contact id, kind, value).
pub(crate) async fn verified_identifiers_in(
    tx: &mut sqlx::Transaction<'static, Db>,
    ws: WorkspaceId,
    contacts: &[i64],
) -> StoreResult<Vec<(i64, IdentifierKind, String)>> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT i.contact_id, f.kind, f.value FROM identifiers f JOIN identities i ON i.id = f.identity_id \
         WHERE f.workspace_id = ",
    );
    sql.bind(Bind::I64(ws.0))
        .push(" AND f.verified AND i.contact_id IN ");
    id_list(&mut sql, contacts);
    let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let (contact, kind, value): (i64, String, String) = (
                r.try_get(0).map_err(db_err)?,
                r.try_get(1).map_err(db_err)?,
                r.try_get(2).map_err(db_err)?,
            );
            Ok((
                contact,
                IdentifierKind::parse(&kind)
                    .ok_or_else(|| crate::corrupt("identifier kind", &kind))?,
                value,
            ))
        })
        .collect()
}

/// Every identifier of a contact's identities, oldest first.
pub(crate) async fn contact_identifiers(
    pool: &Pool,
    ws: WorkspaceId,
    contact: ContactId,
) -> StoreResult<Vec<StoredIdentifier>> {
    let rows: Vec<(i64, String, String, bool, Option<i64>, i64)> = sqlx::query_as(
        "SELECT f.identity_id, f.kind, f.value, f.verified, f.message_id, f.created_at FROM identifiers f \
         JOIN identities i ON i.id = f.identity_id WHERE f.workspace_id = $1 AND i.contact_id = $2 \
         ORDER BY f.created_at, f.identity_id, f.kind, f.value",
    )
    .bind(ws.0)
    .bind(contact.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.into_iter()
        .map(|(identity, kind, value, verified, message, at)| {
            Ok(StoredIdentifier {
                identity_id: IdentityId(identity),
                kind: IdentifierKind::parse(&kind)
                    .ok_or_else(|| crate::corrupt("identifier kind", &kind))?,
                value,
                verified,
                message_id: message.map(earshot_core::MessageId),
                created_at: earshot_core::time::from_millis(at),
            })
        })
        .collect()
}
