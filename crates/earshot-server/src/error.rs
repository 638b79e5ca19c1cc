//! API errors: `{"code": "...", "message": "..."}` with a stable snake_case code (public API,
//! listed in the README) and a status that says whose fault it is. Database failures are
//! logged and reported as `internal` without their details.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use earshot_core::store::StoreError;
use serde::Serialize;
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// 401: no token, or one Earshot does not know.
    Unauthorized(&'static str),
    /// 404
    NotFound(String),
    /// 400: a malformed request (query string, path, JSON syntax).
    BadRequest { code: &'static str, message: String },
    /// 422: well-formed, but the messages in it are not valid; `errors` says which and why.
    InvalidMessages {
        message: String,
        errors: Vec<ItemError>,
    },
    /// 422: a listening query that does not parse; `column` is where (1-based).
    InvalidTopicQuery { column: usize, message: String },
    /// 422: well-formed, but refers to something unusable.
    Unprocessable(String),
    /// 409
    Conflict(String),
    /// 422: a rule that does not validate; `errors` lists every problem with its path.
    InvalidRule(Vec<earshot_core::rules::RuleError>),
    /// 422: channel settings that do not validate; `errors` lists every problem with its path.
    InvalidChannel(Vec<(String, String)>),
    /// 422: an order that does not validate (unknown currency, negative amount…): its code,
    /// field and line; nothing of the call was stored.
    InvalidOrder(earshot_core::orders::OrderError),
    /// 422: the platform's messaging window does not allow a reply now.
    OutsideWindow(String),
    /// 409: another reply went out after the one the agent last saw.
    ReplyCollision { message: String, message_id: i64 },
    /// 413
    PayloadTooLarge(String),
    /// 503: the database does not answer.
    Unavailable(String),
    /// 500: our fault; details go to the log only.
    Internal(String),
}

/// One invalid item of a batch.
#[derive(Debug, Clone, Serialize)]
pub struct ItemError {
    pub index: usize,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", (*m).to_string()),
            Self::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
            Self::BadRequest { code, message } => (StatusCode::BAD_REQUEST, code, message.clone()),
            Self::InvalidMessages { message, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_message",
                message.clone(),
            ),
            Self::InvalidTopicQuery { column, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_topic_query",
                format!("column {column}: {message}"),
            ),
            Self::Unprocessable(m) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", m.clone())
            }
            Self::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            Self::InvalidRule(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_rule",
                format!(
                    "the rule has {} problem{}: {}",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    errors.first().map(|e| e.to_string()).unwrap_or_default()
                ),
            ),
            Self::InvalidChannel(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_channel",
                errors
                    .iter()
                    .map(|(p, m)| format!("{p}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Self::InvalidOrder(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                e.code,
                match e.line {
                    Some(i) => format!("orders[{i}].{}: {}", e.field, e.message),
                    None => format!("{}: {}", e.field, e.message),
                },
            ),
            Self::OutsideWindow(m) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "outside_messaging_window",
                m.clone(),
            ),
            Self::ReplyCollision { message, .. } => {
                (StatusCode::CONFLICT, "reply_collision", message.clone())
            }
            Self::PayloadTooLarge(m) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                m.clone(),
            ),
            Self::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m.clone()),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side; it has been logged".to_string(),
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => Self::NotFound(format!("{what} {id} not found")),
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Invalid(m) => Self::Unprocessable(m),
            StoreError::Database(e) => Self::Internal(e.to_string()),
        }
    }
}

impl From<earshot_engine::channels::ChannelError> for ApiError {
    fn from(e: earshot_engine::channels::ChannelError) -> Self {
        match e {
            earshot_engine::channels::ChannelError::Invalid(errors) => Self::InvalidChannel(errors),
            earshot_engine::channels::ChannelError::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        match &self {
            Self::Internal(detail) => tracing::error!(%detail, "internal error"),
            Self::Unavailable(detail) => tracing::warn!(%detail, "store unavailable"),
            _ => {}
        }
        let mut body = json!({"code": code, "message": message});
        match &self {
            Self::InvalidMessages { errors, .. } => body["errors"] = json!(errors),
            Self::InvalidTopicQuery { column, .. } => body["column"] = json!(column),
            Self::InvalidRule(errors) => body["errors"] = json!(errors),
            Self::ReplyCollision { message_id, .. } => body["message_id"] = json!(message_id),
            Self::InvalidOrder(e) => {
                body["field"] = json!(e.field);
                if let Some(line) = e.line {
                    body["index"] = json!(line);
                }
            }
            Self::InvalidChannel(errors) => {
                body["errors"] = errors
                    .iter()
                    .map(|(path, message)| json!({"path": path, "message": message}))
                    .collect();
            }
            _ => {}
        }
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint; the API lives under /api/v1".into())
}

pub async fn method_not_allowed() -> Response {
    let body = json!({"code": "method_not_allowed", "message": "this endpoint does not accept that method"});
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// Turns a panic in a handler into a 500 in our format (and a log line), never a dropped
/// connection.
pub fn panic_response(detail: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = detail
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| detail.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    ApiError::Internal(format!("handler panicked: {detail}")).into_response()
}

impl From<earshot_engine::workflow::ActionError> for ApiError {
    fn from(e: earshot_engine::workflow::ActionError) -> Self {
        use earshot_engine::workflow::ActionError;
        match e {
            ActionError::Store(s) => s.into(),
            ActionError::Collision { message_id, .. } => Self::ReplyCollision {
                message: e.to_string(),
                message_id,
            },
            ActionError::Invalid(m) => Self::Unprocessable(m),
        }
    }
}
