//! Contacts: the customer's record, merges and suggestions, the matcher, and the privacy
//! endpoints (export, erasure, the consent ledger, the privacy log, retention, the
//! preference link).

use super::{with_query, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use std::fmt::Display;

// Contacts.

impl TestApp {
    /// GET /api/v1/contacts?{query}
    pub async fn list_contacts(&self, query: &str) -> (StatusCode, Value) {
        self.get(&with_query("/api/v1/contacts", query)).await
    }
    /// GET /api/v1/contacts/{id}
    pub async fn get_contact(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/contacts/{id}")).await
    }
    /// PATCH /api/v1/contacts/{id}
    pub async fn update_contact(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.json(Method::PATCH, &format!("/api/v1/contacts/{id}"), body)
            .await
    }
}

// Merges, suggestions and the matcher.

impl TestApp {
    /// POST /api/v1/contacts/{id}/merge
    pub async fn merge_contacts(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, &format!("/api/v1/contacts/{id}/merge"), body)
            .await
    }
    /// POST /api/v1/contacts/merges/{merge}/undo
    pub async fn undo_merge(&self, merge: impl Display) -> (StatusCode, Value) {
        self.json(
            Method::POST,
            &format!("/api/v1/contacts/merges/{merge}/undo"),
            json!({}),
        )
        .await
    }
    /// GET /api/v1/contacts/{id}/merges
    pub async fn contact_merges(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/contacts/{id}/merges")).await
    }
    /// GET /api/v1/contacts/{id}/suggestions?{query}
    pub async fn suggestions(&self, id: impl Display, query: &str) -> (StatusCode, Value) {
        self.get(&with_query(
            &format!("/api/v1/contacts/{id}/suggestions"),
            query,
        ))
        .await
    }
    /// POST /api/v1/contacts/{id}/suggestions/{other}/reject
    pub async fn reject_suggestion(
        &self,
        id: impl Display,
        other: impl Display,
    ) -> (StatusCode, Value) {
        self.json(
            Method::POST,
            &format!("/api/v1/contacts/{id}/suggestions/{other}/reject"),
            json!({}),
        )
        .await
    }
    /// POST /api/v1/contacts/matcher/fit
    pub async fn fit_matcher(&self) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/contacts/matcher/fit", json!({}))
            .await
    }
}

// Privacy.

impl TestApp {
    /// GET /api/v1/contacts/{id}/export
    pub async fn export_contact(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/contacts/{id}/export")).await
    }
    /// DELETE /api/v1/contacts/{id} (without the `?erase=true` it needs)
    pub async fn delete_contact(&self, id: impl Display) -> (StatusCode, Value) {
        self.delete(&format!("/api/v1/contacts/{id}")).await
    }
    /// DELETE /api/v1/contacts/{id}?erase=true
    pub async fn erase_contact(&self, id: impl Display) -> (StatusCode, Value) {
        self.delete(&format!("/api/v1/contacts/{id}?erase=true"))
            .await
    }
    /// GET /api/v1/contacts/{id}/consent
    pub async fn consent(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/contacts/{id}/consent")).await
    }
    /// POST /api/v1/contacts/{id}/preference-link
    pub async fn preference_link(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.json(
            Method::POST,
            &format!("/api/v1/contacts/{id}/preference-link"),
            body,
        )
        .await
    }
    /// GET /api/v1/privacy/log
    pub async fn privacy_log(&self) -> (StatusCode, Value) {
        self.get("/api/v1/privacy/log").await
    }
    /// GET /api/v1/privacy/retention
    pub async fn retention(&self) -> (StatusCode, Value) {
        self.get("/api/v1/privacy/retention").await
    }
    /// PUT /api/v1/privacy/retention
    pub async fn set_retention(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::PUT, "/api/v1/privacy/retention", body)
            .await
    }
}
