//! Emerging-issue alerts over the API: what the timer worker raised (every few minutes, one
//! alert per series and hour, see `earshot_engine::emerging::raise`) and what people did.
//!
//! - `GET /alerts?state=open&limit=50`: newest first, each with its figures and top messages.
//! - `POST /alerts/{id}/acknowledge`, `POST /alerts/{id}/close`: by the calling token (or, in
//!   the web UI, the person signed in).

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use earshot_core::store::{AlertState, StoredAlert};
use earshot_core::Workspace;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/{id}/acknowledge", post(acknowledge))
        .route("/alerts/{id}/close", post(close))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    state: Option<String>,
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<StoredAlert>>, ApiError> {
    let wanted = p
        .state
        .as_deref()
        .map(|s| s.trim().parse::<AlertState>())
        .transpose()
        .map_err(|m| ApiError::BadRequest {
            code: "invalid_query",
            message: format!("`state`: {m}"),
        })?;
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: format!("`limit`: {limit} is not between 1 and 500"),
        });
    }
    Ok(Json(state.store.list_alerts(ws.id, wanted, limit).await?))
}

async fn acknowledge(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<StoredAlert>, ApiError> {
    set_state(&state, &ws, &caller, id, AlertState::Acknowledged).await
}

async fn close(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<StoredAlert>, ApiError> {
    set_state(&state, &ws, &caller, id, AlertState::Closed).await
}

/// Records who moved the alert on, as the calling token.
async fn set_state(
    state: &AppState,
    ws: &Workspace,
    caller: &Caller,
    id: i64,
    to: AlertState,
) -> Result<Json<StoredAlert>, ApiError> {
    Ok(Json(
        state
            .store
            .set_alert_state(ws.id, id, to, &caller.actor())
            .await?,
    ))
}
