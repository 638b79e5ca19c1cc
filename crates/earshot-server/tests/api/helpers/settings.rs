//! What a workspace configures: topics, rules (and their dry run) and SLA policies.

use super::TestApp;
use axum::http::{Method, StatusCode};
use serde_json::Value;
use std::fmt::Display;

// Topics.

impl TestApp {
    /// GET /api/v1/topics
    pub async fn list_topics(&self) -> (StatusCode, Value) {
        self.get("/api/v1/topics").await
    }
    /// POST /api/v1/topics
    pub async fn create_topic(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/topics", body).await
    }
    /// PUT /api/v1/topics/{id}
    pub async fn update_topic(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.json(Method::PUT, &format!("/api/v1/topics/{id}"), body)
            .await
    }
    /// DELETE /api/v1/topics/{id}
    pub async fn delete_topic(&self, id: impl Display) -> (StatusCode, Value) {
        self.delete(&format!("/api/v1/topics/{id}")).await
    }
    /// POST /api/v1/topics/preview
    pub async fn preview_topic(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/topics/preview", body)
            .await
    }
}

// Rules.

impl TestApp {
    /// GET /api/v1/rules
    pub async fn list_rules(&self) -> (StatusCode, Value) {
        self.get("/api/v1/rules").await
    }
    /// POST /api/v1/rules
    pub async fn create_rule(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/rules", body).await
    }
    /// PUT /api/v1/rules/{id}
    pub async fn update_rule(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.json(Method::PUT, &format!("/api/v1/rules/{id}"), body)
            .await
    }
    /// DELETE /api/v1/rules/{id}
    pub async fn delete_rule(&self, id: impl Display) -> (StatusCode, Value) {
        self.delete(&format!("/api/v1/rules/{id}")).await
    }
    /// POST /api/v1/rules/dry-run
    pub async fn dry_run_rule(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/rules/dry-run", body).await
    }
}

// SLA policies.

impl TestApp {
    /// POST /api/v1/sla-policies
    pub async fn create_sla_policy(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/sla-policies", body).await
    }
}
