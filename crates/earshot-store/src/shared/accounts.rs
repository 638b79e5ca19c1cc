//! People who sign in, their sessions, and the timer workers' cursors.

use super::*;

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.workspace_id, u.email, u.name, u.role, u.agent_id, u.password_hash";

/// A `users` row as [`USER_COLUMNS`] reads it.
pub(crate) type UserRow = (i64, i64, String, String, String, Option<i64>, String);

pub(crate) fn user_row(r: UserRow) -> (earshot_core::auth::User, String) {
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
        return Err(store::StoreError::Invalid(format!(
            "`{email}` is not an email address"
        )));
    }
    if name.trim().is_empty() {
        return Err(store::StoreError::Invalid("a user needs a name".into()));
    }
    if !matches!(role, "admin" | "agent") {
        return Err(store::StoreError::Invalid(format!(
            "unknown role `{role}`; expected admin or agent"
        )));
    }
    if let Some(a) = agent {
        let found = sqlx::query("SELECT 1 FROM agents WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(a.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
        if found.is_none() {
            return Err(store::StoreError::Invalid(format!(
                "agent {a} does not exist in this workspace"
            )));
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

pub(crate) async fn user_by_email(
    pool: &Pool,
    email: &str,
) -> StoreResult<Option<(earshot_core::auth::User, String)>> {
    let row: Option<UserRow> = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1"
    ))
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
    let row: Option<UserRow> = sqlx::query_as(&format!(
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
    let (csrf,): (String,) =
        sqlx::query_as("SELECT csrf_token FROM sessions WHERE token_hash = $1")
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
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT DISTINCT workspace_id FROM rules ORDER BY workspace_id")
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
    Ok(rows.into_iter().map(|r| WorkspaceId(r.0)).collect())
}

pub(crate) async fn timer_cursor(
    pool: &Pool,
    name: &str,
) -> StoreResult<Option<earshot_core::time::Timestamp>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT until FROM timer_cursors WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    Ok(row.map(|r| earshot_core::time::from_millis(r.0)))
}

pub(crate) async fn set_timer_cursor(
    pool: &Pool,
    name: &str,
    until: earshot_core::time::Timestamp,
) -> StoreResult<()> {
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
