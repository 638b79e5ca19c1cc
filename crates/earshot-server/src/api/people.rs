//! Teams and agents of the workspace (the people conversations are assigned to).

use crate::error::ApiError;
use crate::extract::Json;
use crate::extract::Path;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Extension, Router};
use earshot_core::assign::Strategy;
use earshot_core::{Agent, AgentId, AgentPatch, NewAgent, Team, TeamId, Workspace};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list_teams).post(create_team))
        .route("/teams/{id}", patch(update_team))
        .route("/agents", get(list_agents).post(create_agent))
        .route("/agents/{id}", patch(update_agent))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamBody {
    name: String,
    /// `least_loaded` (default) or `round_robin`.
    #[serde(default)]
    strategy: Option<Strategy>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamPatch {
    strategy: Strategy,
}

async fn update_team(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Json(body): Json<TeamPatch>,
) -> Result<axum::Json<Team>, ApiError> {
    let team = state
        .pipeline
        .admin()
        .set_team_strategy(ws.id, TeamId(id), body.strategy)
        .await?;
    Ok(axum::Json(team))
}

/// Skills, capacity, availability or team of an agent; whoever gains room takes from their
/// team's backlog straight away.
async fn update_agent(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Json(body): Json<AgentPatch>,
) -> Result<axum::Json<Agent>, ApiError> {
    let agent = state
        .pipeline
        .admin()
        .update_agent(ws.id, AgentId(id), &body)
        .await?;
    Ok(axum::Json(agent))
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
    let team = state
        .pipeline
        .admin()
        .create_team(ws.id, &name, body.strategy)
        .await?;
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
    Json(body): Json<NewAgent>,
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
        ..body
    };
    let agent = state.pipeline.admin().create_agent(ws.id, &agent).await?;
    Ok((StatusCode::CREATED, axum::Json(agent)))
}
