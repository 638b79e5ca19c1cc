//! Teams, agents and the workspace's counts.

use super::*;
use earshot_core::store::Counts;

pub(crate) async fn create_team(pool: &Pool, ws: WorkspaceId, name: &str) -> StoreResult<Team> {
    if name.trim().is_empty() {
        return Err(store::StoreError::Invalid("team name is empty".into()));
    }
    let row = sqlx::query(&format!(
        "INSERT INTO teams (workspace_id, name) VALUES ($1, $2) RETURNING {TEAM_COLUMNS}"
    ))
    .bind(ws.0)
    .bind(name)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    team(&row)
}

pub(crate) async fn list_teams(pool: &Pool, ws: WorkspaceId) -> StoreResult<Vec<Team>> {
    sqlx::query(&format!(
        "SELECT {TEAM_COLUMNS} FROM teams WHERE workspace_id = $1 ORDER BY id"
    ))
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(team)
    .collect()
}

pub(crate) async fn check_team(
    pool: &Pool,
    ws: WorkspaceId,
    team: Option<TeamId>,
) -> StoreResult<()> {
    if let Some(t) = team {
        let found = sqlx::query("SELECT 1 FROM teams WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(t.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
        if found.is_none() {
            return Err(store::StoreError::Invalid(format!(
                "team {t} does not exist in this workspace"
            )));
        }
    }
    Ok(())
}

pub(crate) async fn create_agent(pool: &Pool, ws: WorkspaceId, a: &NewAgent) -> StoreResult<Agent> {
    if a.name.trim().is_empty() || a.email.trim().is_empty() {
        return Err(store::StoreError::Invalid(
            "an agent needs a name and an email".into(),
        ));
    }
    check_team(pool, ws, a.team_id).await?;
    check_capacity(a.capacity)?;
    let row = sqlx::query(&format!(
        "INSERT INTO agents (workspace_id, name, email, team_id, skills, capacity, availability) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {AGENT_COLUMNS}"
    ))
    .bind(ws.0)
    .bind(&a.name)
    .bind(&a.email)
    .bind(a.team_id.map(|t| t.0))
    .bind(skills_json(&a.skills))
    .bind(a.capacity as i32)
    .bind(a.availability.as_str())
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    agent(&row)
}

pub(crate) async fn list_agents(pool: &Pool, ws: WorkspaceId) -> StoreResult<Vec<Agent>> {
    sqlx::query(&format!(
        "SELECT {AGENT_COLUMNS} FROM agents WHERE workspace_id = $1 ORDER BY id"
    ))
    .bind(ws.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(agent)
    .collect()
}

pub(crate) async fn counts(pool: &Pool, ws: WorkspaceId) -> StoreResult<Counts> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM channels WHERE workspace_id = $1), \
                (SELECT COUNT(*) FROM contacts WHERE workspace_id = $1), \
                (SELECT COUNT(*) FROM identities WHERE workspace_id = $1), \
                (SELECT COUNT(*) FROM conversations WHERE workspace_id = $1), \
                (SELECT COUNT(*) FROM messages WHERE workspace_id = $1)",
    )
    .bind(ws.0)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(Counts {
        channels: row.try_get(0).map_err(db_err)?,
        contacts: row.try_get(1).map_err(db_err)?,
        identities: row.try_get(2).map_err(db_err)?,
        conversations: row.try_get(3).map_err(db_err)?,
        messages: row.try_get(4).map_err(db_err)?,
    })
}
