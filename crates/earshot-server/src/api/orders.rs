//! Orders from the brand's shop: pushed one or many at a time, matched to their customers,
//! and read back; a contact's orders and what they add up to.

use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use earshot_core::orders::{Order, OrderImport, OrderSource, OrderSummary};
use earshot_core::store::ValueRecompute;
use earshot_core::{ContactId, Workspace};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", post(push))
        .route("/orders/{id}", get(show))
        .route("/orders/recompute", post(recompute))
        .route("/contacts/{id}/orders", get(of_contact))
}

/// One order, an array of them, or `{"orders": [...]}` (at most 10,000): all validated
/// before any is stored (`422` naming the order and field otherwise), then stored in one
/// transaction with the values of their customers derived again. The same order id again
/// updates it.
async fn push(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    crate::extract::Json(body): crate::extract::Json<serde_json::Value>,
) -> Result<Json<OrderImport>, ApiError> {
    let orders = earshot_core::orders::parse::from_json(body).map_err(ApiError::InvalidOrder)?;
    Ok(Json(
        earshot_engine::orders::accept(state.store.as_ref(), ws.id, &orders, OrderSource::Api)
            .await?,
    ))
}

async fn show(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<Json<Order>, ApiError> {
    state
        .store
        .get_order(ws.id, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("order {id} not found")))
}

/// Matches the orders no customer held yet and derives every contact's value and tier again
/// (after contacts were merged or appeared, or the VIP line moved).
async fn recompute(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<Json<ValueRecompute>, ApiError> {
    Ok(Json(
        state
            .store
            .recompute_order_values(ws.id, earshot_core::time::now())
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrdersQuery {
    limit: Option<u32>,
}

#[derive(Debug, Serialize)]
struct ContactOrders {
    summary: OrderSummary,
    orders: Vec<Order>,
}

/// A contact's orders, newest first, with their lifetime value per currency, order count,
/// last order and open orders.
async fn of_contact(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Query(q): Query<OrdersQuery>,
) -> Result<Json<ContactOrders>, ApiError> {
    super::contacts::require_contact(&state, &ws, id).await?;
    let (orders, summary) = state
        .store
        .contact_orders(ws.id, ContactId(id), q.limit.unwrap_or(50).clamp(1, 500))
        .await?;
    Ok(Json(ContactOrders { summary, orders }))
}
