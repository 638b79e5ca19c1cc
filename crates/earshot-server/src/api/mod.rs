//! `/api/v1`: one module per resource, each owning its routes; all behind a bearer token.

mod contacts;
mod conversations;
mod messages;
mod people;
pub(crate) mod topics;
pub(crate) mod workflow;

use crate::{auth, AppState, MAX_BODY_BYTES};
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::Router;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(conversations::router())
        .merge(contacts::router())
        .merge(messages::router())
        .merge(topics::router())
        .merge(people::router())
        .merge(workflow::router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .route_layer(from_fn_with_state(state, auth::require_token))
}
