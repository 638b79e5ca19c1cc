//! The customer's preference page, at `/preferences/{token}`: opened from a signed link (no
//! account; it expires), it says in plain language what Earshot keeps about them and why, and
//! takes their choices — the channel to be answered on, the purposes they accept, their level
//! of engagement — onto the consent ledger (`how: preference page`). A link Earshot did not
//! make is `400`, an expired one `410`, a person no longer held `404`: each page says so.

use super::{document, error_notice, failed};
use crate::extract::{Form, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use earshot_core::preferences::{
    current, Choice, EngagementLevel, LinkError, PreferenceLink, PURPOSES,
};
use earshot_core::store::ConversationQuery;
use earshot_core::{ChannelKind, ContactProfile};
use maud::{html, Markup};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/preferences/{token}", get(show).post(save))
}

/// The answer, kept out of caches and never sent on as a referrer (the URL is the key).
fn private(status: StatusCode, page: Markup) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        page,
    )
        .into_response()
}

fn notice_page(status: StatusCode, title: &str, text: &str) -> Response {
    private(
        status,
        document(
            title,
            html! {
                main #main.narrow {
                    h1 { (title) }
                    p { (text) }
                }
            },
        ),
    )
}

/// The person the link is for, or the page that says why not.
async fn open(state: &AppState, token: &str) -> Result<(PreferenceLink, ContactProfile), Response> {
    let link = match state.channels.open_preference_link(token) {
        Ok(link) => link,
        Err(e @ LinkError::BadSignature) => {
            return Err(notice_page(
                StatusCode::BAD_REQUEST,
                "This link does not work",
                &format!(
                    "{e}. Please use the link exactly as you received it, or ask us for a new one."
                ),
            ))
        }
        Err(e @ LinkError::Expired) => {
            return Err(notice_page(
                StatusCode::GONE,
                "This link has expired",
                &format!("{e}: reply to us on any channel and we will send you one."),
            ))
        }
    };
    let mut id = link.contact;
    // A person merged into another since the link was made is found under the survivor.
    for _ in 0..8 {
        match state.store.get_contact(link.workspace, id).await {
            Ok(Some(p)) => match p.contact.merged_into {
                Some(into) => id = into,
                None if p.contact.brand => break,
                None => return Ok((link, p)),
            },
            Ok(None) => break,
            Err(e) => return Err(failed(e)),
        }
    }
    Err(notice_page(
        StatusCode::NOT_FOUND,
        "Nothing is held about you here",
        "We hold no record for this link any more (it may have been erased at your request).",
    ))
}

fn channel_name(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::X => "X (Twitter)",
        ChannelKind::Facebook => "Facebook Messenger",
        ChannelKind::Instagram => "Instagram",
        ChannelKind::Whatsapp => "WhatsApp",
        ChannelKind::Telegram => "Telegram",
        ChannelKind::Mastodon => "Mastodon",
        ChannelKind::Reddit => "Reddit",
        ChannelKind::Discourse => "our community forum",
        ChannelKind::Review => "reviews",
        ChannelKind::Web => "the web",
        ChannelKind::Email => "email",
        ChannelKind::WebChat => "chat on our website",
        ChannelKind::Api => "our other systems",
    }
}

fn purpose_text(purpose: &str) -> &'static str {
    match purpose {
        "support" => "Answers to what you write to us (always: you wrote to us).",
        "updates" => "Automatic messages and news about your orders and the products you use.",
        "marketing" => "Offers and campaigns.",
        "surveys" => "Short surveys about how we answered you.",
        "research" => "Invitations to give ideas and feedback, and to test new things.",
        _ => "",
    }
}

async fn render(
    state: &AppState,
    token: &str,
    link: &PreferenceLink,
    p: &ContactProfile,
    notice: Option<&str>,
) -> Result<Markup, Response> {
    let ws = link.workspace;
    let id = p.contact.id;
    let query = ConversationQuery {
        contact: Some(id),
        limit: earshot_core::store::MAX_PAGE,
        ..Default::default()
    };
    let (conversations, ledger, (_, orders), retention) = tokio::try_join!(
        state.store.list_conversations(ws, &query),
        state.store.consent_ledger(ws, id),
        state.store.contact_orders(ws, id, 1),
        state.store.retention_policies(ws),
    )
    .map_err(failed)?;
    let states = current(&ledger, None);
    let mut channels: Vec<ChannelKind> = p.identities.iter().map(|i| i.kind).collect();
    channels.sort_by_key(|k| k.as_str());
    channels.dedup();
    let name = p.contact.display_name.as_deref().unwrap_or("there");
    let workspace_days = retention
        .iter()
        .find(|r| r.channel_id.is_none())
        .map(|r| r.days);
    let more = if conversations.next_cursor.is_some() {
        "+"
    } else {
        ""
    };
    Ok(document(
        "Your choices",
        html! {
            main #main.narrow.preferences {
                h1 { "Hello " (name) ": your choices" }
                @if let Some(n) = notice { p.notice role="status" { (n) } }
                (error_notice(None))
                form method="post" action={ "/preferences/" (token) } {
                    fieldset {
                        legend { "How much would you like to hear from us?" }
                        @for level in EngagementLevel::ALL {
                            label.choice {
                                input type="radio" name="level" value=(level.as_str())
                                    checked[p.contact.engagement_level.unwrap_or(EngagementLevel::ServiceOnly) == level];
                                span { strong { (level.title()) } " — " (level.meaning()) }
                            }
                        }
                    }
                    fieldset {
                        legend { "What may we write to you about?" }
                        @for s in &states {
                            label.choice {
                                @if s.purpose == "support" {
                                    input type="checkbox" checked disabled;
                                } @else {
                                    input type="checkbox" name=(s.purpose) value="yes" checked[s.granted];
                                }
                                span {
                                    (purpose_text(s.purpose))
                                    @if let (Some(how), Some(at)) = (&s.how, s.since) {
                                        span.muted { " (" (if s.granted { "yes" } else { "no" }) ", " (how) ", " (at.format("%-d %B %Y")) ")" }
                                    }
                                }
                            }
                        }
                    }
                    fieldset {
                        legend { "Where would you like us to answer you?" }
                        label.choice {
                            input type="radio" name="channel" value="" checked[p.contact.preferred_channel.is_none()];
                            span { "Where I write to you" }
                        }
                        @for kind in &channels {
                            label.choice {
                                input type="radio" name="channel" value=(kind.as_str()) checked[p.contact.preferred_channel == Some(*kind)];
                                span { (channel_name(*kind)) }
                            }
                        }
                    }
                    button type="submit" { "Save my choices" }
                }
                section aria-labelledby="kept-h" {
                    h2 #kept-h { "What we keep about you, and why" }
                    ul {
                        li {
                            "Your accounts that wrote to us: "
                            @for (n, i) in p.identities.iter().enumerate() {
                                @if n > 0 { ", " }
                                (channel_name(i.kind)) " " (i.handle.as_deref().map(|h| format!("@{h}")).unwrap_or_else(|| i.external_id.clone()))
                            }
                            " — to answer you where you write, and to know that they are all you."
                        }
                        li {
                            (conversations.items.len()) (more) " conversation" @if conversations.items.len() != 1 { "s" }
                            " with us, with their messages — to answer them and keep track of what we promised."
                        }
                        @if !p.identifiers.is_empty() {
                            li { (p.identifiers.len()) " email address" @if p.identifiers.len() != 1 { "es and numbers" } @else { " or number" } " you gave us or wrote to us from — to recognise you." }
                        }
                        @if orders.order_count > 0 {
                            li { (orders.order_count) " order" @if orders.order_count != 1 { "s" } " from our shop — to help with them and to know what you bought from us." }
                        }
                        li { (ledger.len()) " record" @if ledger.len() != 1 { "s" } " of the choices you made, like the ones on this page — to respect them." }
                    }
                    p {
                        @match workspace_days {
                            Some(d) => { "Messages are deleted " (d) " days after they were written. " },
                            None => { "Messages are kept until you ask us to delete them. " },
                        }
                        "You can ask us, on any channel, for a copy of everything we keep about you, or to erase it for good."
                    }
                }
            }
        },
    ))
}

async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let (link, p) = match open(&state, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match render(&state, &token, &link, &p, None).await {
        Ok(page) => private(StatusCode::OK, page),
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChoiceForm {
    level: String,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    updates: Option<String>,
    #[serde(default)]
    marketing: Option<String>,
    #[serde(default)]
    surveys: Option<String>,
    #[serde(default)]
    research: Option<String>,
}

async fn save(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<ChoiceForm>,
) -> Response {
    let (link, p) = match open(&state, &token).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(level) = form.level.parse::<EngagementLevel>() else {
        return notice_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not saved",
            "Please choose one of the levels of engagement.",
        );
    };
    let channel = match form.channel.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match c.parse::<ChannelKind>() {
            Ok(kind) if p.identities.iter().any(|i| i.kind == kind) => Some(kind),
            _ => {
                return notice_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Not saved",
                    "Please choose one of the channels you wrote to us on.",
                )
            }
        },
    };
    let ticked = [
        ("updates", &form.updates),
        ("marketing", &form.marketing),
        ("surveys", &form.surveys),
        ("research", &form.research),
    ];
    let purposes: Vec<String> = PURPOSES
        .iter()
        .filter(|p| ticked.iter().any(|(name, v)| name == *p && v.is_some()))
        .map(|p| p.to_string())
        .collect();
    let choice = Choice {
        level,
        channel,
        purposes,
    };
    let saved = state
        .store
        .set_preferences(
            link.workspace,
            p.contact.id,
            &choice,
            "preference page",
            earshot_core::time::now(),
        )
        .await;
    if let Err(e) = saved {
        return failed(e);
    }
    let p = match open(&state, &token).await {
        Ok((_, p)) => p,
        Err(r) => return r,
    };
    match render(
        &state,
        &token,
        &link,
        &p,
        Some("Thank you: your choices are saved."),
    )
    .await
    {
        Ok(page) => private(StatusCode::OK, page),
        Err(r) => r,
    }
}
