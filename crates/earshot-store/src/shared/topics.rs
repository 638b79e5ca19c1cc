//! Listening topics.

use super::*;

fn check_topic(draft: &TopicDraft) -> StoreResult<()> {
    if draft.name.trim().is_empty() || draft.query.trim().is_empty() {
        return Err(store::StoreError::Invalid(
            "a topic needs a name and a query".into(),
        ));
    }
    Ok(())
}

pub(crate) async fn create_topic(
    pool: &Pool,
    ws: WorkspaceId,
    draft: &TopicDraft,
) -> StoreResult<Topic> {
    check_topic(draft)?;
    let now = to_millis(now());
    let sql = format!(
        "INSERT INTO topics (workspace_id, name, query, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING {TOPIC_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(ws.0)
        .bind(draft.name.trim())
        .bind(&draft.query)
        .bind(draft.active)
        .bind(now)
        .fetch_one(pool)
        .await
        .map_err(db_err)?;
    topic(&row)
}

pub(crate) async fn list_topics(pool: &Pool, ws: WorkspaceId) -> StoreResult<Vec<Topic>> {
    let sql = format!("SELECT {TOPIC_COLUMNS} FROM topics WHERE workspace_id = $1 ORDER BY id");
    sqlx::query(&sql)
        .bind(ws.0)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(topic)
        .collect()
}

pub(crate) async fn get_topic(
    pool: &Pool,
    ws: WorkspaceId,
    id: TopicId,
) -> StoreResult<Option<Topic>> {
    let sql = format!("SELECT {TOPIC_COLUMNS} FROM topics WHERE workspace_id = $1 AND id = $2");
    sqlx::query(&sql)
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(|r| topic(&r))
        .transpose()
}

pub(crate) async fn update_topic(
    pool: &Pool,
    ws: WorkspaceId,
    id: TopicId,
    draft: &TopicDraft,
) -> StoreResult<Topic> {
    check_topic(draft)?;
    let sql = format!(
        "UPDATE topics SET name = $1, query = $2, active = $3, updated_at = $4 \
         WHERE workspace_id = $5 AND id = $6 RETURNING {TOPIC_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(draft.name.trim())
        .bind(&draft.query)
        .bind(draft.active)
        .bind(to_millis(now()))
        .bind(ws.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .ok_or(store::StoreError::NotFound {
            what: "topic",
            id: id.0,
        })?;
    topic(&row)
}

pub(crate) async fn delete_topic(pool: &Pool, ws: WorkspaceId, id: TopicId) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM topics WHERE workspace_id = $1 AND id = $2")
        .bind(ws.0)
        .bind(id.0)
        .execute(pool)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(store::StoreError::NotFound {
            what: "topic",
            id: id.0,
        });
    }
    Ok(())
}
