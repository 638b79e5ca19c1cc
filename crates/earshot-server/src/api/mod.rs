//! `/api/v1`: one module per resource, each owning its routes; all behind a bearer token.

mod alerts;
mod channels;
mod contacts;
mod conversations;
mod listening;
mod messages;
mod orders;
mod outbox;
mod people;
mod reports;
pub(crate) mod rules;
mod sla_policies;
pub(crate) mod staffing;
mod surveys;
pub(crate) mod topics;

use crate::{auth, AppState, MAX_BODY_BYTES};
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::Router;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(alerts::router())
        .merge(channels::router())
        .merge(conversations::router())
        .merge(contacts::router())
        .merge(listening::router())
        .merge(messages::router())
        .merge(orders::router())
        .merge(topics::router())
        .merge(people::router())
        .merge(rules::router())
        .merge(sla_policies::router())
        .merge(outbox::router())
        .merge(reports::router())
        .merge(staffing::router())
        .merge(surveys::router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .route_layer(from_fn_with_state(state, auth::require_token))
}
