//! What listening heard and matched no topic, kept a week for agents (`listening_heard`).

use super::*;

use earshot_core::store::{HeardFilter, HeardPost, HEARD_FOR_DAYS};

/// What is kept: heard in the last [`HEARD_FOR_DAYS`] (older rows wait for the timer to delete
/// them, and are not shown meanwhile).
fn kept_from() -> i64 {
    to_millis(now()) - HEARD_FOR_DAYS * 86_400_000
}

fn heard_row(r: &DbRow) -> StoreResult<HeardPost> {
    let post: String = r.try_get(3).map_err(db_err)?;
    Ok(HeardPost {
        channel_id: ChannelId(r.try_get(0).map_err(db_err)?),
        external_id: r.try_get(1).map_err(db_err)?,
        sent_at: earshot_core::time::from_millis(r.try_get(2).map_err(db_err)?),
        post: serde_json::from_str(&post)
            .map_err(|e| crate::corrupt("heard post", &e.to_string()))?,
        heard_at: earshot_core::time::from_millis(r.try_get(4).map_err(db_err)?),
    })
}

pub(crate) async fn heard_posts(
    pool: &Pool,
    ws: WorkspaceId,
    filter: &HeardFilter,
) -> StoreResult<Vec<HeardPost>> {
    let mut sql = crate::queries::Sql::new(
        "SELECT channel_id, external_id, sent_at, post, heard_at FROM listening_heard WHERE workspace_id = ",
    );
    sql.bind(Bind::I64(ws.0))
        .push(" AND heard_at >= ")
        .bind(Bind::I64(kept_from()));
    if let Some(channel) = filter.channel {
        sql.push(" AND channel_id = ").bind(Bind::I64(channel.0));
    }
    if let Some(authors) = &filter.authors {
        if authors.is_empty() {
            return Ok(Vec::new());
        }
        // An id is an account on one platform: the same digits elsewhere are someone else.
        sql.push(" AND (");
        for (n, (kind, id)) in authors.iter().enumerate() {
            if n > 0 {
                sql.push(" OR ");
            }
            sql.push("(author_id = ")
                .bind(Bind::Text(id.clone()))
                .push(" AND channel_id IN (SELECT id FROM channels WHERE workspace_id = ")
                .bind(Bind::I64(ws.0))
                .push(" AND kind = ")
                .bind(Bind::Text(kind.as_str().to_string()))
                .push("))");
        }
        sql.push(")");
    }
    if let Some(words) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        // `%` and `_` in what was typed are matched as themselves.
        let escaped = words
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        // `text` is kept lower-cased (SQLite's LOWER folds ASCII only).
        sql.push(" AND text LIKE ")
            .bind(Bind::Text(format!("%{escaped}%")))
            .push(" ESCAPE '\\'");
    }
    sql.push(" ORDER BY heard_at DESC, sent_at DESC, external_id DESC LIMIT ")
        .bind(Bind::I64(i64::from(filter.limit.clamp(1, 500))));
    let rows = bind_all(sqlx::query(&sql.text), &sql.binds)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(heard_row).collect()
}

pub(crate) async fn heard_post(
    pool: &Pool,
    ws: WorkspaceId,
    channel: ChannelId,
    external_id: &str,
) -> StoreResult<Option<HeardPost>> {
    let row = sqlx::query(
        "SELECT channel_id, external_id, sent_at, post, heard_at FROM listening_heard \
         WHERE workspace_id = $1 AND channel_id = $2 AND external_id = $3 AND heard_at >= $4",
    )
    .bind(ws.0)
    .bind(channel.0)
    .bind(external_id)
    .bind(kept_from())
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(heard_row).transpose()
}
