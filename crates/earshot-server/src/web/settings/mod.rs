//! Settings, for admins: the people who sign in, teams and agents (skills, capacity,
//! availability), listening topics (a query editor that checks the query as you type and
//! previews what it matches among recent messages), automation rules and SLA policies with
//! their business calendars (JSON, validated on save with every problem named), and saved
//! replies, the satisfaction survey, and connected channels. Each change goes through the same store and workflow calls as the API, so the
//! desk, the rules and the listen stage pick it up at once.

use super::{csrf_field, error_notice, failed, nav_link, options, shell, Section, Session};
use crate::extract::Form;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use earshot_core::assign::{Availability, Skills};
use earshot_core::{
    AgentId, AgentPatch, ChannelKind, NewAgent, StoreError, TeamId, TopicDraft, TopicId,
};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

mod channels;
mod people;
mod replies;
mod rules;
mod sla;
mod surveys;
mod teams;
mod topics;

use channels::*;
use people::*;
use replies::*;
use rules::*;
use sla::*;
use surveys::*;
use teams::*;
use topics::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_home))
        .route("/settings/people", get(people).post(create_user))
        .route("/settings/teams", get(teams).post(create_team))
        .route("/settings/agents", post(create_agent))
        .route("/settings/agents/{id}", post(update_agent))
        .route("/settings/topics", get(topics).post(create_topic))
        .route("/settings/topics/check", get(check_topic))
        .route("/settings/topics/{id}/delete", post(delete_topic))
        .route("/settings/rules", get(rules).post(create_rule))
        .route("/settings/rules/{id}", post(update_rule))
        .route("/settings/rules/{id}/delete", post(delete_rule))
        .route("/settings/sla", get(sla).post(create_policy))
        .route("/settings/replies", get(replies).post(create_reply))
        .route("/settings/surveys", get(surveys).post(save_surveys))
        .route("/settings/replies/{id}/delete", post(delete_reply))
        .route("/settings/channels", get(channels).post(create_channel))
        .route("/settings/channels/{id}/test", post(test_channel))
        .route("/settings/channels/{id}/delete", post(delete_channel))
}

pub(super) const TABS: [(&str, &str); 8] = [
    ("people", "People"),
    ("teams", "Teams and agents"),
    ("topics", "Listening topics"),
    ("rules", "Automation rules"),
    ("sla", "SLA policies"),
    ("replies", "Saved replies"),
    ("surveys", "Satisfaction survey"),
    ("channels", "Channels"),
];

/// A settings page: the tabs, what went wrong (if anything), then the content.
pub(super) fn settings_page(
    session: &Session,
    tab: &str,
    notice: Option<&str>,
    content: Markup,
) -> Markup {
    let title = TABS
        .iter()
        .find(|t| t.0 == tab)
        .map(|t| t.1)
        .unwrap_or("Settings");
    let main = html! {
        h1 { "Settings" }
        nav.views aria-label="Settings" {
            @for (id, label) in TABS {
                (nav_link(&format!("/settings/{id}"), label, id == tab))
            }
        }
        h2 { (title) }
        (error_notice(notice))
        (content)
    };
    shell(session, Section::Settings, title, main)
}

/// A table of what exists: its caption, column headings and rows.
pub(super) fn table(caption: &str, columns: &[&str], rows: Markup) -> Markup {
    html! {
        div.table-wrap {
            table {
                caption { (caption) }
                thead {
                    tr {
                        @for c in columns {
                            th scope="col" { (c) }
                        }
                    }
                }
                tbody { (rows) }
            }
        }
    }
}

/// The card with the form that adds a new one.
pub(super) fn add_form(
    session: &Session,
    action: &str,
    label: &str,
    heading: &str,
    content: Markup,
) -> Markup {
    html! {
        form.card method="post" action=(action) aria-label=(label) {
            h3 { (heading) }
            (csrf_field(session))
            (content)
        }
    }
}

/// The delete button of a row.
pub(super) fn delete_form(session: &Session, action: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            (csrf_field(session))
            button.link type="submit" { "Delete" }
        }
    }
}

/// A settings form: the admin check, then its CSRF check.
pub(super) fn admin_form(session: &Session, csrf: &str) -> Result<(), Response> {
    session.require_admin()?;
    session.check(csrf)
}

pub(super) fn done(tab: &str) -> Response {
    Redirect::to(&format!("/settings/{tab}")).into_response()
}

/// Why a settings change was not made: a reason the admin can act on, or our own failure
/// (logged, already a page).
pub(super) enum NotDone {
    Reason(String),
    Failed(Response),
}

impl From<StoreError> for NotDone {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) | StoreError::Conflict(m) => Self::Reason(m),
            StoreError::NotFound { what, id } => {
                Self::Reason(format!("{what} {id} does not exist"))
            }
            e => Self::Failed(failed(e)),
        }
    }
}

impl From<crate::error::ApiError> for NotDone {
    fn from(e: crate::error::ApiError) -> Self {
        use crate::error::ApiError;
        match e {
            ApiError::InvalidRule(errors) => Self::Reason(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.path, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ApiError::Internal(m) | ApiError::Unavailable(m) => Self::Failed(failed(m)),
            other => Self::Reason(other.parts().2),
        }
    }
}

/// A settings page, with what the admin was typing when a save is refused.
#[derive(Clone, Copy)]
pub(super) enum Tab<'a> {
    People,
    Teams,
    /// The topic's name and query.
    Topics(Option<(&'a str, &'a str)>),
    /// The rule's JSON.
    Rules(Option<&'a str>),
    /// The policy's JSON.
    Sla(Option<&'a str>),
    Replies,
    Surveys,
    /// The kind, name and settings JSON.
    Channels(Option<(&'a str, &'a str, &'a str)>),
}

impl Tab<'_> {
    fn slug(self) -> &'static str {
        match self {
            Tab::People => "people",
            Tab::Teams => "teams",
            Tab::Topics(_) => "topics",
            Tab::Rules(_) => "rules",
            Tab::Sla(_) => "sla",
            Tab::Replies => "replies",
            Tab::Surveys => "surveys",
            Tab::Channels(_) => "channels",
        }
    }
}

/// Draws a settings page, with a notice when something was refused.
pub(super) async fn render(
    state: &AppState,
    session: &Session,
    tab: Tab<'_>,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    match tab {
        Tab::People => render_people(state, session, notice, status).await,
        Tab::Teams => render_teams(state, session, notice, status).await,
        Tab::Topics(draft) => render_topics(state, session, notice, draft, status).await,
        Tab::Rules(draft) => render_rules(state, session, notice, draft, status).await,
        Tab::Sla(draft) => render_sla(state, session, notice, draft, status).await,
        Tab::Replies => render_replies(state, session, notice, status).await,
        Tab::Surveys => render_surveys(state, session, notice, status).await,
        Tab::Channels(draft) => render_channels(state, session, notice, draft, status).await,
    }
}

/// A page's GET: admins only.
pub(super) async fn show(state: &AppState, session: &Session, tab: Tab<'_>) -> Response {
    match session.require_admin() {
        Ok(()) => render(state, session, tab, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

/// After a change: back to the page (303), or the page again with why it was not made (422).
pub(super) async fn finish(
    state: &AppState,
    session: &Session,
    tab: Tab<'_>,
    result: Result<(), NotDone>,
) -> Response {
    match result {
        Ok(()) => done(tab.slug()),
        Err(NotDone::Reason(m)) => {
            render(
                state,
                session,
                tab,
                Some(&m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(NotDone::Failed(r)) => r,
    }
}

pub(super) async fn settings_home(session: Session) -> Response {
    match session.require_admin() {
        Ok(()) => Redirect::to("/settings/people").into_response(),
        Err(r) => r,
    }
}
