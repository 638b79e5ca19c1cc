//! Messages in, conversations out: the inbox, one conversation, its history, the agent's
//! actions on it, and the outbox of what leaves.

use super::{with_query, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::Value;
use std::fmt::Display;

// Messages.

impl TestApp {
    /// POST /api/v1/messages
    pub async fn post_messages(&self, body: &Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/messages", body.clone())
            .await
    }
}

// Conversations.

impl TestApp {
    /// GET /api/v1/conversations?{query}
    pub async fn list_conversations(&self, query: &str) -> (StatusCode, Value) {
        self.get(&with_query("/api/v1/conversations", query)).await
    }
    /// GET /api/v1/conversations/{id}
    pub async fn get_conversation(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/conversations/{id}")).await
    }
    /// GET /api/v1/conversations/{id}/events
    pub async fn conversation_events(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/conversations/{id}/events"))
            .await
    }
    /// POST /api/v1/conversations/{id}/reply
    pub async fn reply(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.action(id, "reply", body).await
    }
    /// POST /api/v1/conversations/{id}/assign
    pub async fn assign(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.action(id, "assign", body).await
    }
    /// POST /api/v1/conversations/{id}/status
    pub async fn set_status(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.action(id, "status", body).await
    }
    /// POST /api/v1/conversations/{id}/resolve
    pub async fn resolve(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.action(id, "resolve", body).await
    }
    /// POST /api/v1/conversations/{id}/snooze
    pub async fn snooze(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.action(id, "snooze", body).await
    }
    /// POST /api/v1/conversations/{id}/tags
    pub async fn change_tags(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.action(id, "tags", body).await
    }
    /// POST /api/v1/conversations/{id}/{action}
    async fn action(&self, id: impl Display, action: &str, body: Value) -> (StatusCode, Value) {
        self.json(
            Method::POST,
            &format!("/api/v1/conversations/{id}/{action}"),
            body,
        )
        .await
    }
}

// The outbox.

impl TestApp {
    /// GET /api/v1/outbox?conversation_id={conversation}
    pub async fn outbox(&self, conversation: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/outbox?conversation_id={conversation}"))
            .await
    }
}
