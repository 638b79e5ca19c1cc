//! The care team: teams and agents.

use super::TestApp;
use axum::http::{Method, StatusCode};
use serde_json::Value;
use std::fmt::Display;

// Teams.

impl TestApp {
    /// POST /api/v1/teams
    pub async fn create_team(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/teams", body).await
    }
}

// Agents.

impl TestApp {
    /// GET /api/v1/agents
    pub async fn list_agents(&self) -> (StatusCode, Value) {
        self.get("/api/v1/agents").await
    }
    /// POST /api/v1/agents
    pub async fn create_agent(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/agents", body).await
    }
    /// PATCH /api/v1/agents/{id}
    pub async fn update_agent(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.json(Method::PATCH, &format!("/api/v1/agents/{id}"), body)
            .await
    }
}
