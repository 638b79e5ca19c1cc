//! Connected channels: their API, the webhooks the platforms call, and the web chat widget's
//! endpoints as a page on the brand's site calls them.

use super::TestApp;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::fmt::Display;
use tower::ServiceExt;

// Channels.

impl TestApp {
    /// GET /api/v1/channels
    pub async fn list_channels(&self) -> (StatusCode, Value) {
        self.get("/api/v1/channels").await
    }
    /// POST /api/v1/channels
    pub async fn create_channel(&self, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, "/api/v1/channels", body).await
    }
    /// GET /api/v1/channels/{id}
    pub async fn get_channel(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/channels/{id}")).await
    }
    /// PATCH /api/v1/channels/{id}
    pub async fn update_channel(&self, id: impl Display, body: Value) -> (StatusCode, Value) {
        self.json(Method::PATCH, &format!("/api/v1/channels/{id}"), body)
            .await
    }
    /// DELETE /api/v1/channels/{id}
    pub async fn delete_channel(&self, id: impl Display) -> (StatusCode, Value) {
        self.delete(&format!("/api/v1/channels/{id}")).await
    }
    /// POST /api/v1/channels/{id}/test
    pub async fn test_channel(&self, id: impl Display) -> (StatusCode, Value) {
        self.json(
            Method::POST,
            &format!("/api/v1/channels/{id}/test"),
            json!({}),
        )
        .await
    }
    /// GET /api/v1/channels/{id}/calls
    pub async fn channel_calls(&self, id: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/channels/{id}/calls")).await
    }
}

// Webhooks: `url` is the channel's `webhook_url` (`/webhooks/{id}`), as the platform is told.

impl TestApp {
    /// POST /webhooks/{id} with exactly these headers; the status and the answer as text.
    pub async fn webhook(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> (StatusCode, String) {
        self.raw(Method::POST, url, headers, body.to_vec()).await
    }
    /// GET /webhooks/{id}?{query}: the platform's subscription handshake, answered as text.
    pub async fn webhook_handshake(&self, url: &str, query: &str) -> (StatusCode, String) {
        self.raw(Method::GET, &format!("{url}?{query}"), &[], Vec::new())
            .await
    }
}

// The web chat widget.

/// What the widget's page gets back: the status, the CORS header, the JSON body.
pub type ChatAnswer = (StatusCode, Option<String>, Value);

impl TestApp {
    /// GET /widget.js
    pub async fn widget_script(&self) -> (StatusCode, String) {
        self.raw(Method::GET, "/widget.js", &[], Vec::new()).await
    }
    /// POST /chat/{channel}/session from a page at `origin`
    pub async fn chat_session(
        &self,
        channel: impl Display,
        origin: Option<&str>,
        body: Value,
    ) -> ChatAnswer {
        self.chat_request(
            Method::POST,
            &format!("/chat/{channel}/session"),
            origin,
            body,
        )
        .await
    }
    /// POST /chat/{channel}/messages from a page at `origin`
    pub async fn chat_message(
        &self,
        channel: impl Display,
        origin: Option<&str>,
        body: Value,
    ) -> ChatAnswer {
        self.chat_request(
            Method::POST,
            &format!("/chat/{channel}/messages"),
            origin,
            body,
        )
        .await
    }
    /// OPTIONS /chat/{channel}/messages: the browser's preflight from a page at `origin`
    pub async fn chat_preflight(&self, channel: impl Display, origin: &str) -> ChatAnswer {
        self.chat_request(
            Method::OPTIONS,
            &format!("/chat/{channel}/messages"),
            Some(origin),
            Value::Null,
        )
        .await
    }
    /// GET /chat/{channel}/events?visitor={visitor}: the `message` events sent in `wait_ms`
    pub async fn chat_events(
        &self,
        channel: impl Display,
        visitor: &str,
        origin: &str,
        wait_ms: u64,
    ) -> Vec<Value> {
        let request = Request::builder()
            .uri(format!("/chat/{channel}/events?visitor={visitor}"))
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut body = response.into_body();
        let mut text = String::new();
        let until = tokio::time::Instant::now() + std::time::Duration::from_millis(wait_ms);
        while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(until, body.frame()).await {
            if let Some(data) = frame.data_ref() {
                text.push_str(&String::from_utf8_lossy(data));
            }
        }
        text.split("\n\n")
            .filter(|e| e.contains("event: message"))
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    /// A request as the widget's page makes it.
    async fn chat_request(
        &self,
        method: Method,
        path: &str,
        origin: Option<&str>,
        body: Value,
    ) -> ChatAnswer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(o) = origin {
            request = request.header(header::ORIGIN, o);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let cors = response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, cors, value)
    }
}
