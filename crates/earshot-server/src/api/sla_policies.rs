//! SLA policies over the API.

use crate::error::ApiError;
use crate::extract::Json;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Router};
use earshot_core::sla::PolicyDraft;
use earshot_core::workflow::SlaPolicyRecord;
use earshot_core::Workspace;

pub fn router() -> Router<AppState> {
    Router::new().route("/sla-policies", get(list_policies).post(create_policy))
}

async fn list_policies(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<axum::Json<Vec<SlaPolicyRecord>>, ApiError> {
    Ok(axum::Json(state.store.list_sla_policies(ws.id).await?))
}

async fn create_policy(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(body): Json<PolicyDraft>,
) -> Result<(StatusCode, axum::Json<SlaPolicyRecord>), ApiError> {
    body.compile()
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    let p = state
        .pipeline
        .admin()
        .create_sla_policy(ws.id, &body)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(p)))
}
