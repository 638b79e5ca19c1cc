//! Orders pushed to the API, and a customer's.

use super::TestApp;
use axum::http::{Method, StatusCode};
use serde_json::Value;
use std::fmt::Display;

impl TestApp {
    /// POST /api/v1/orders
    pub async fn post_orders(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/orders", body).await
    }
    /// GET /api/v1/orders/{id}
    pub async fn get_order(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/orders/{id}")).await
    }
    /// GET /api/v1/contacts/{id}/orders
    pub async fn contact_orders(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/contacts/{id}/orders")).await
    }
}
