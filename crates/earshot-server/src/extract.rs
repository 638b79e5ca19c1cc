//! Extractors whose rejections are our JSON errors, not axum's plain-text ones.

use crate::error::ApiError;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// `Query<T>` with a 400 `invalid_query` that names the bad parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

/// `Path<T>` with a 404 when the id is not a number (no such resource can exist).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| ApiError::NotFound(e.body_text()))
    }
}

/// The raw body, with 413 `payload_too_large` past the limit.
pub struct Body(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|e: BytesRejection| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(format!(
                        "the body is larger than {} bytes; send messages in smaller batches",
                        crate::MAX_BODY_BYTES
                    ))
                } else {
                    ApiError::bad_request("invalid_body", e.body_text())
                }
            })
    }
}

/// `Json<T>` with our error format: 400 `invalid_json` for bad syntax or shape, 400
/// `control_character` (naming the field) for a string with a NUL character, which
/// PostgreSQL cannot store and no name, tag or setting needs.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Body(bytes) = Body::from_request(req, state).await?;
        if has_nul_escape(&bytes) {
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                if let Some(path) = nul_path(&value, String::new()) {
                    return Err(nul_error(&path));
                }
            }
        }
        serde_json::from_slice(&bytes).map(Json).map_err(|e| {
            ApiError::bad_request(
                "invalid_json",
                format!("the body is not the expected JSON: {e}"),
            )
        })
    }
}

/// A form body (`application/x-www-form-urlencoded`), with 400 `control_character` naming the
/// field when a value holds a NUL character (`%00`), as [`Json`] does.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = axum::response::Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let (parts, body) = req.into_parts();
        let bytes =
            axum::body::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(IntoResponse::into_response)?;
        if let Some(field) = nul_form_field(&bytes) {
            return Err(nul_error(&field).into_response());
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|f| Form(f.0))
            .map_err(IntoResponse::into_response)
    }
}

fn nul_error(field: &str) -> ApiError {
    ApiError::bad_request(
        "control_character",
        format!("`{field}` contains a NUL character (U+0000); remove it and send again"),
    )
}

/// A JSON text can only hold a NUL as the escape `\u0000` (a raw one is not JSON).
fn has_nul_escape(bytes: &[u8]) -> bool {
    bytes
        .windows(6)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|&b| b == b'0'))
}

/// The path (`rules[0].name`) of the first string or key with a NUL character.
fn nul_path(v: &serde_json::Value, path: String) -> Option<String> {
    match v {
        serde_json::Value::String(s) if s.contains('\0') => Some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(here)
            } else {
                nul_path(item, here)
            }
        }),
        _ => None,
    }
}

/// The name of the first form field whose name or value holds `%00` (or a raw NUL byte).
fn nul_form_field(bytes: &[u8]) -> Option<String> {
    bytes.split(|&b| b == b'&').find_map(|pair| {
        let text = String::from_utf8_lossy(pair);
        let bad = pair.contains(&0) || text.to_ascii_lowercase().contains("%00");
        bad.then(|| text.split('=').next().unwrap_or_default().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_nul_anywhere_in_json_is_found_with_its_path() {
        assert!(has_nul_escape(br#"{"name": "a\u0000b"}"#));
        assert!(!has_nul_escape(br#"{"name": "ab"}"#));
        let v = json!({"name": "ok", "actions": [{"tag": "x"}, {"tag": "a\u{0}"}]});
        assert_eq!(
            nul_path(&v, String::new()).as_deref(),
            Some("actions[1].tag")
        );
        assert_eq!(nul_path(&json!({"ok": ["fine"]}), String::new()), None);
    }

    #[test]
    fn a_nul_in_a_form_names_its_field() {
        assert_eq!(
            nul_form_field(b"csrf=abc&name=Bil%00ling").as_deref(),
            Some("name")
        );
        assert_eq!(nul_form_field(b"csrf=abc&name=Billing"), None);
    }
}
