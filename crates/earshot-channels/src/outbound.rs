//! Delivering what the outbox holds. Webhooks are POSTed as JSON, signed with HMAC-SHA256 when
//! a secret is configured (`X-Earshot-Signature: t=<unix seconds>,v1=<hex>` over
//! `"<t>.<body>"`, so a receiver can refuse old or replayed calls), and any answer but 2xx is
//! an error the outbox retries. Notifications are in-app: the outbox row is their record.
//! Replies leave through a connected channel's sender (the engine's connectors); this sender
//! alone has none, so a reply through it is `not_sent`, never `sent`.
//!
//! A webhook goes only where [`crate::guard`] lets it (no loopback, private, link-local or
//! metadata address, as written or as resolved, unless an admin allowed the host); redirects
//! are not followed, and a failed connection reads the same whatever the cause, so the
//! outbox's `last_error` cannot map a network.

use earshot_core::workflow::{OutboxItem, SendError, Sender, Sent};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

pub struct Outbound {
    http: reqwest::Client,
    secret: Option<String>,
    allowed: crate::guard::Allowed,
}

/// The signature header value for `body` sent at `t` (unix seconds).
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

impl Outbound {
    /// `secret` signs webhooks (`None`: unsigned).
    pub fn new(secret: Option<String>) -> Self {
        Self::allowing(secret, crate::guard::Allowed::default())
    }

    /// As [`Outbound::new`], also sending to the hosts `allowed` names.
    pub fn allowing(secret: Option<String>, allowed: crate::guard::Allowed) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .user_agent(concat!("earshot/", env!("CARGO_PKG_VERSION")))
                .redirect(reqwest::redirect::Policy::none())
                .dns_resolver(std::sync::Arc::new(crate::guard::GuardedResolver(
                    allowed.clone(),
                )))
                .build()
                .expect("an HTTP client"),
            secret: secret.filter(|s| !s.is_empty()),
            allowed,
        }
    }

    /// POSTs a webhook item to its URL.
    pub async fn webhook(&self, item: &OutboxItem) -> Result<(), SendError> {
        let url = item.payload["url"]
            .as_str()
            .ok_or_else(|| SendError::Rejected("the webhook has no url".into()))?;
        crate::guard::check_url(url, &self.allowed).map_err(SendError::Rejected)?;
        let mut body = item.payload.clone();
        if let Some(o) = body.as_object_mut() {
            o.remove("url");
            o.insert("workspace_id".into(), item.workspace_id.0.into());
            o.insert("delivery_id".into(), item.id.into());
            o.insert("attempt".into(), (item.attempts + 1).into());
        }
        let body = serde_json::to_vec(&body).map_err(|e| SendError::Rejected(e.to_string()))?;
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Earshot-Delivery", item.id.to_string());
        if let Some(secret) = &self.secret {
            let t = chrono::Utc::now().timestamp();
            request = request.header("X-Earshot-Signature", signature(secret, t, &body));
        }
        let response = request.body(body).send().await.map_err(|e| {
            // The guard's refusal, found in the error's chain, is for good.
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(s) = source {
                if s.to_string().starts_with("refused:") {
                    return SendError::Rejected(s.to_string());
                }
                source = s.source();
            }
            SendError::Transient(format!(
                "POST {url}: could not connect, or no answer within 10 s"
            ))
        })?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_redirection() {
            Err(SendError::Rejected(format!(
                "POST {url}: HTTP {status}; Earshot does not follow redirects, give the final URL"
            )))
        } else {
            Err(SendError::Transient(format!("POST {url}: HTTP {status}")))
        }
    }
}

#[async_trait::async_trait]
impl Sender for Outbound {
    async fn send(&self, item: &OutboxItem) -> Result<Sent, SendError> {
        match item.kind.as_str() {
            "webhook" => self.webhook(item).await.map(|()| Sent::default()),
            "notification" => Ok(Sent::default()),
            "reply" => Err(SendError::NotSent(
                "the channel is not connected to its platform, so nothing can send the reply"
                    .into(),
            )),
            other => Err(SendError::Rejected(format!(
                "unknown outbox kind `{other}`"
            ))),
        }
    }
}
