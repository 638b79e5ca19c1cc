//! Inbound webhooks at `/webhooks/{channel_id}`, verified the platform's way and failing
//! closed: Meta's `GET` subscription handshake and `X-Hub-Signature-256` over the raw body;
//! Telegram's `X-Telegram-Bot-Api-Secret-Token`; Shopify's `X-Shopify-Hmac-Sha256`; X's CRC
//! (`GET` with `crc_token`) and `x-twitter-webhooks-signature`; Discourse's
//! `X-Discourse-Event-Signature`. A verified
//! call is written to the store's queue before it is answered `200` (accepted means durable);
//! the webhook worker processes it through the pipeline, so a slow pipeline never makes the
//! platform wait or retry. A shop's order webhook is stored as the order itself (one short
//! transaction) before it is answered `200`.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use earshot_core::connector::{ConnectedChannel, Connector};
use earshot_core::ChannelId;
use earshot_engine::channels::Access;
use serde_json::json;
use std::collections::HashMap;

/// Largest webhook body accepted (Meta batches up to 1,000 updates in one call).
const MAX_WEBHOOK_BYTES: usize = 2 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/{id}", get(handshake).post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

/// The connected channel a webhook URL names, with its secrets opened; or the answer that
/// refuses the call (unknown channel, a mailbox, secrets that cannot be opened).
async fn channel(state: &AppState, id: &str) -> Result<(ConnectedChannel, Access), Response> {
    let unknown = || {
        refuse(
            StatusCode::NOT_FOUND,
            "not_found",
            "no connected channel has this webhook URL",
        )
    };
    let id: i64 = id.parse().map_err(|_| unknown())?;
    let ch = match state.store.webhook_channel(ChannelId(id)).await {
        Ok(Some(ch)) => ch,
        Ok(None) => return Err(unknown()),
        Err(e) => {
            tracing::warn!(channel = id, error = %e, "webhook channel lookup failed");
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again shortly",
            ));
        }
    };
    if !ch.connector.takes_webhooks() {
        return Err(refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            if ch.connector == Connector::Email {
                "email channels poll their mailbox; they take no webhooks"
            } else if ch.connector.is_polled() {
                "this channel's platform is polled; it takes no webhooks"
            } else {
                "web chat channels take their visitors' messages at /chat/{id}/messages"
            },
        ));
    }
    match state.channels.access(&ch) {
        Ok(access) => Ok((ch, access)),
        Err(e) => {
            tracing::error!(
                channel = ch.channel.id.0,
                error = %e,
                "the channel's secrets cannot be opened (was EARSHOT_SECRET_KEY changed?)"
            );
            Err(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the channel's secrets cannot be opened",
            ))
        }
    }
}

/// Meta's subscription check: echo `hub.challenge` when `hub.verify_token` is the channel's.
async fn handshake(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (ch, access) = match channel(&state, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if let Some(token) = params.get("crc_token") {
        // X's CRC: answered at once (X allows 3 s) with the token signed by the secret.
        return match earshot_engine::channels::crc_answer(&access, token) {
            Some(answer) => Json(json!({"response_token": answer})).into_response(),
            None => refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "only X channels answer a crc_token",
            ),
        };
    }
    if !ch.connector.is_meta() {
        return refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this channel's platform only POSTs",
        );
    }
    let get = |k: &str| params.get(k).map(String::as_str);
    match earshot_engine::channels::handshake(
        &access,
        get("hub.mode"),
        get("hub.verify_token"),
        get("hub.challenge"),
    ) {
        Some(challenge) => (StatusCode::OK, challenge.to_string()).into_response(),
        None => {
            tracing::warn!(
                channel = ch.channel.id.0,
                "webhook subscription refused: wrong hub.verify_token or mode"
            );
            refuse(
                StatusCode::FORBIDDEN,
                "forbidden",
                "hub.verify_token does not match the channel's verify_token",
            )
        }
    }
}

async fn receive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ch, access) = match channel(&state, &id).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let verified = earshot_engine::channels::verify_webhook(&access, &body, header);
    if !verified {
        tracing::warn!(channel = ch.channel.id.0, kind = %ch.connector, "webhook refused: missing or wrong signature");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the request's signature does not match the channel's secret",
        );
    }
    if ch.connector.is_shop() {
        // One shop's channel takes that shop's orders only (an app's secret signs every
        // shop that installed it).
        let shop = header("x-shopify-shop-domain").unwrap_or_default();
        if !shop.eq_ignore_ascii_case(access.get("shop_domain").trim()) {
            tracing::warn!(channel = ch.channel.id.0, shop = %shop, "shop webhook from another shop refused");
            return refuse(
                StatusCode::FORBIDDEN,
                "wrong_shop",
                "X-Shopify-Shop-Domain is not this channel's shop_domain",
            );
        }
        return shop_order(&state, &ch, header("x-shopify-topic"), &body).await;
    }
    match state
        .store
        .accept_webhooks(
            &[(ch.channel.workspace_id, ch.channel.id, &body[..])],
            earshot_core::time::now(),
        )
        .await
    {
        Ok(_) => {
            state.webhooks.wake.notify_one();
            (StatusCode::OK, "EVENT_RECEIVED").into_response()
        }
        Err(e) => {
            tracing::error!(channel = ch.channel.id.0, error = %e, "webhook call not kept; the platform will retry");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "not kept; send it again",
            )
        }
    }
}

/// A verified Shopify webhook: an order topic's body is the order, stored (and its customer's
/// value derived) before the `200`; another topic is acknowledged and ignored, so Shopify does
/// not retry it; so is a body that is no valid order (a retry would not make it one, and a
/// failing subscription is removed by Shopify), with `"status": "refused"`, the code and the
/// field, and a warning in the log.
async fn shop_order(
    state: &AppState,
    ch: &ConnectedChannel,
    topic: Option<String>,
    body: &[u8],
) -> Response {
    let topic = topic.unwrap_or_default();
    if !earshot_channels::shopify::is_order_topic(&topic) {
        tracing::info!(channel = ch.channel.id.0, topic = %topic, "shop webhook topic ignored");
        return (
            StatusCode::OK,
            Json(json!({"status": "ignored", "topic": topic})),
        )
            .into_response();
    }
    let order = match earshot_channels::shopify::decode_order(body) {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(channel = ch.channel.id.0, error = %e, "shop order refused; not stored");
            return (
                StatusCode::OK,
                Json(json!({"status": "refused", "code": e.code, "field": e.field, "message": e.to_string()})),
            )
                .into_response();
        }
    };
    match earshot_engine::orders::accept(
        state.store.as_ref(),
        ch.channel.workspace_id,
        std::slice::from_ref(&order),
        earshot_core::orders::OrderSource::Shopify,
    )
    .await
    {
        Ok(stored) => (
            StatusCode::OK,
            Json(json!({"status": "stored", "order": order.external_id, "result": stored})),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(channel = ch.channel.id.0, error = %e, "shop order not kept; Shopify will retry");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "not kept; send it again",
            )
        }
    }
}
