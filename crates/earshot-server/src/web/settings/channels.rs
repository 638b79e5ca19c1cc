//! Settings: connected channels. Each row shows the channel's status (with the platform's
//! reason when it needs a new token), the webhook URL to register on the platform's side (for
//! web chat, the tag to put on the brand's pages), its
//! settings with secrets masked, a *Test connection* button (one harmless call to the
//! platform) and *Disconnect*. New channels take their settings as JSON, checked on save with
//! every problem named; a secret left out (or `********`) keeps its value when a channel is
//! changed through the API.

use super::*;
use earshot_core::connector::{ChannelStatus, Connector};
use earshot_engine::channels::ChannelDraft;

pub(super) const SETTINGS_EXAMPLE: &str =
    r#"{"app_secret": "…", "verify_token": "…", "access_token": "…", "phone_number_id": "…"}"#;

pub(super) async fn channels(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Channels(None)).await
}

/// The settings a kind takes, for the form's help.
fn kind_help() -> Markup {
    html! {
        ul.help {
            @for c in Connector::ALL {
                li {
                    code { (c.as_str()) } ": "
                    @for (i, s) in c.settings().iter().enumerate() {
                        @if i > 0 { ", " }
                        @if s.secret { strong { (s.name) } } @else { (s.name) }
                        @if !s.required { " (optional)" }
                    }
                }
            }
        }
    }
}

/// A moment as admins read it on this page (UTC).
fn stamp(t: earshot_core::time::Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(super) async fn render_channels(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    draft: Option<(&str, &str, &str)>,
    status: StatusCode,
) -> Response {
    let channels = match state.channels.list(session.user.workspace_id).await {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let rows = html! {
        @for c in &channels {
            tr {
                td { (c.name) }
                td { (c.kind.as_str()) }
                td {
                    @if c.status == ChannelStatus::NeedsReauth {
                        strong.warn { "needs a new token" }
                        @if let Some(r) = &c.status_reason { br; small { (r) } }
                    } @else {
                        "active"
                    }
                    @let a = &c.activity;
                    @if let Some(t) = a.last_event_at {
                        br; small.activity { "last message or call " (stamp(t)) }
                    }
                    @if let Some(t) = a.last_poll_at {
                        br; small.activity { "last read " (stamp(t)) }
                    }
                    @if let (Some(e), Some(t)) = (&a.last_error, a.last_error_at) {
                        br; small.warn { "last error " (stamp(t)) ": " (e) }
                    }
                }
                td {
                    @if let Some(url) = &c.webhook_url {
                        code { (url) }
                    } @else if let Some(tag) = &c.embed {
                        small { "Put on your pages:" } br;
                        code { (tag) }
                    } @else if c.kind.is_polled() {
                        small { "none: Earshot polls the platform" }
                    } @else {
                        small { "none: the mailbox is polled" }
                    }
                }
                td {
                    @for (k, v) in &c.settings {
                        div { code { (k) } " " (v.as_str().unwrap_or("")) }
                    }
                }
                td {
                    form method="post" action={ "/settings/channels/" (c.id.0) "/test" }
                        aria-label={ "Test " (c.name) } {
                        (csrf_field(session))
                        button type="submit" { "Test connection" }
                    }
                }
                td { (delete_form(session, &format!("/settings/channels/{}/delete", c.id.0))) }
            }
        }
    };
    let (kind, name, settings) = draft.unwrap_or(("whatsapp", "", SETTINGS_EXAMPLE));
    let kinds: Vec<(String, String)> = Connector::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), c.as_str().to_string()))
        .collect();
    let form = html! {
        label for="ch-kind" { "Kind" }
        select #ch-kind name="kind" { (options(&kinds, Some(kind))) }
        label for="ch-name" { "Name (the account, as agents will see it)" }
        input #ch-name name="name" required maxlength="100" value=(name);
        label for="ch-settings" { "Settings (JSON)" }
        textarea.code #ch-settings name="settings" rows="6" required { (settings) }
        (kind_help())
        button type="submit" { "Connect channel" }
    };
    let content = html! {
        p {
            "Register each channel's webhook URL on the platform's side; see the README's "
            em { "Channels" } " for what to create there. Secrets are sealed at rest and never shown again."
        }
        (table("Connected channels", &["Name", "Kind", "Status", "Webhook URL or embed", "Settings", "Test", "Disconnect"], rows))
        (add_form(session, "/settings/channels", "Connect a channel", "Connect a channel", form))
    };
    (status, settings_page(session, "channels", notice, content)).into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct ChannelForm {
    #[serde(default)]
    pub(super) csrf: String,
    pub(super) kind: String,
    pub(super) name: String,
    pub(super) settings: String,
}

pub(super) async fn create_channel(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<ChannelForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let draft = (
        form.kind.as_str(),
        form.name.as_str(),
        form.settings.as_str(),
    );
    let result = match serde_json::from_str::<serde_json::Value>(&form.settings) {
        Ok(serde_json::Value::Object(settings)) => {
            let d = ChannelDraft {
                kind: form.kind.clone(),
                name: form.name.clone(),
                settings,
            };
            state
                .channels
                .connect(session.user.workspace_id, &d)
                .await
                .map(|_| ())
                .map_err(|e| NotDone::from(crate::error::ApiError::from(e)))
        }
        Ok(_) => Err(NotDone::Reason("settings: must be a JSON object".into())),
        Err(e) => Err(NotDone::Reason(format!("settings: not valid JSON: {e}"))),
    };
    finish(&state, &session, Tab::Channels(Some(draft)), result).await
}

pub(super) async fn test_channel(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let notice = match state.channels.test(ws, earshot_core::ChannelId(id)).await {
        Ok(Ok(who)) => format!("Test connection: connected: {who}"),
        Ok(Err(why)) => format!("Test connection failed: {why}"),
        Err(StoreError::NotFound { .. }) => return crate::web::not_found("channel"),
        Err(e) => return failed(e),
    };
    render_channels(&state, &session, Some(&notice), None, StatusCode::OK).await
}

pub(super) async fn delete_channel(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    match state
        .channels
        .disconnect(session.user.workspace_id, earshot_core::ChannelId(id))
        .await
    {
        Ok(()) => done("channels"),
        Err(StoreError::NotFound { .. }) => crate::web::not_found("channel"),
        Err(e) => failed(e),
    }
}
