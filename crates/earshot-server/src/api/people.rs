//! Teams and agents of the workspace (the people conversations are assigned to).

use crate::error::ApiError;
use crate::extract::Json;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Router};
use earshot_core::{Agent, NewAgent, Team, TeamId, Workspace};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list_teams).post(create_team))
        .route("/agents", get(list_agents).post(create_agent))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamBody {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentBody {
    name: String,
    email: String,
    #[serde(default)]
    team_id: Option<TeamId>,
}

fn required(field: &str, value: &str) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::Unprocessable(format!(
            "`{field}` must not be empty"
        )));
    }
    if v.chars().count() > 200 {
        return Err(ApiError::Unprocessable(format!(
            "`{field}` is longer than 200 characters"
        )));
    }
    Ok(v.to_string())
}

async fn list_teams(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<axum::Json<Vec<Team>>, ApiError> {
    Ok(axum::Json(state.store.list_teams(ws.id).await?))
}

async fn create_team(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(body): Json<TeamBody>,
) -> Result<(StatusCode, axum::Json<Team>), ApiError> {
    let name = required("name", &body.name)?;
    let team = state.store.create_team(ws.id, &name).await?;
    Ok((StatusCode::CREATED, axum::Json(team)))
}

async fn list_agents(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<axum::Json<Vec<Agent>>, ApiError> {
    Ok(axum::Json(state.store.list_agents(ws.id).await?))
}

async fn create_agent(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(body): Json<AgentBody>,
) -> Result<(StatusCode, axum::Json<Agent>), ApiError> {
    let email = required("email", &body.email)?;
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(ApiError::Unprocessable(format!(
            "`email` `{email}` is not an email address"
        )));
    }
    let agent = NewAgent {
        name: required("name", &body.name)?,
        email,
        team_id: body.team_id,
    };
    let agent = state.store.create_agent(ws.id, &agent).await?;
    Ok((StatusCode::CREATED, axum::Json(agent)))
}
