//! Reports.

use super::TestApp;
use axum::http::StatusCode;
use serde_json::Value;

impl TestApp {
    /// GET /api/v1/reports/share-of-voice?{query}
    pub async fn share_of_voice(&self, query: &str) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/reports/share-of-voice?{query}"))
            .await
    }
}
