//! Reports.

use super::{with_query, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::Value;

impl TestApp {
    /// GET /api/v1/reports/share-of-voice?{query}
    pub async fn share_of_voice(&self, query: &str) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/reports/share-of-voice?{query}"))
            .await
    }
    /// GET /api/v1/reports/emerging?{query}
    pub async fn emerging(&self, query: &str) -> (StatusCode, Value) {
        self.get(&with_query("/api/v1/reports/emerging", query))
            .await
    }
    /// GET /api/v1/listening/heard?{query}
    pub async fn heard(&self, query: &str) -> (StatusCode, Value) {
        self.get(&with_query("/api/v1/listening/heard", query))
            .await
    }
    /// POST /api/v1/listening/conversations: a conversation opened from a heard post
    pub async fn open_heard(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/listening/conversations", body)
            .await
    }
    /// GET /listening?{query}: the page of what was heard
    pub async fn listening_page(&self, cookie: &str, query: &str) -> super::Page {
        self.browse(
            Method::GET,
            &with_query("/listening", query),
            Some(cookie),
            None,
        )
        .await
    }
    /// POST /listening/open: the page's "Open a conversation" form
    pub async fn open_heard_form(&self, cookie: &str, form: &str) -> super::Page {
        self.browse(Method::POST, "/listening/open", Some(cookie), Some(form))
            .await
    }
}
