//! What listening heard and matched no topic (`/listening`): the posts of the last week,
//! newest first, searchable by their words and by source, each with the network's link and a
//! button that opens a conversation from it — the agent's click that makes a post that
//! matters answerable on its network, where a topic's match is the automatic way in.

use super::{error_notice, failed, options, post_form, shell, time_tag, Section, Session};
use crate::extract::{Form, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use earshot_core::store::{HeardFilter, HEARD_FOR_DAYS};
use earshot_core::ChannelId;
use earshot_engine::heard::OpenError;
use maud::html;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/listening", get(page))
        .route("/listening/open", post(open))
}

/// Posts on one page.
const PAGE: u32 = 100;

#[derive(Debug, Deserialize, Default)]
struct Params {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    channel: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(p): Query<Params>,
) -> Response {
    render(&state, &session, &p, None).await
}

async fn render(
    state: &AppState,
    session: &Session,
    p: &Params,
    problem: Option<(StatusCode, String)>,
) -> Response {
    let ws = session.user.workspace_id;
    let channel = p
        .channel
        .as_deref()
        .and_then(|c| c.trim().parse::<i64>().ok())
        .map(ChannelId);
    let filter = HeardFilter {
        channel,
        text: p.q.clone(),
        limit: PAGE,
        ..Default::default()
    };
    let (posts, channels) = match tokio::try_join!(
        state.store.heard_posts(ws, &filter),
        state.store.list_channels(ws)
    ) {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let mut choices = vec![(String::new(), "Every source".to_string())];
    choices.extend(
        channels
            .iter()
            .map(|c| (c.id.0.to_string(), format!("{} ({})", c.name, c.kind))),
    );
    let source = |id: ChannelId| {
        channels
            .iter()
            .find(|c| c.id == id)
            .map_or_else(|| format!("channel {}", id.0), |c| c.name.clone())
    };
    let chosen = channel.map(|c| c.0.to_string());
    let status = problem.as_ref().map_or(StatusCode::OK, |p| p.0);
    let main = html! {
        h1 { "Heard, not matched" }
        p.muted {
            "Listening posts of the last " (HEARD_FOR_DAYS) " days that matched no topic: counted for share of voice, "
            "and kept here so that one that matters can be answered. Opening a conversation puts it in the inbox, "
            "answered on its own network."
        }
        (error_notice(problem.as_ref().map(|p| p.1.as_str())))
        form.filters method="get" action="/listening" aria-label="Search what was heard" {
            label { "Words " input type="search" name="q" value=[p.q.as_deref()]; }
            label { "Source " select name="channel" { (options(&choices, chosen.as_deref())) } }
            button type="submit" { "Search" }
        }
        @if posts.is_empty() {
            p { "Nothing heard that matched no topic" @if p.q.is_some() || channel.is_some() { " with these filters" } "." }
        } @else {
            ol.heard {
                @for h in &posts {
                    li.heard-post {
                        p.meta {
                            strong {
                                @if let Some(handle) = &h.post.author.handle { "@" (handle) }
                                @else if let Some(name) = &h.post.author.display_name { (name) }
                                @else { (h.post.author.external_id) }
                            }
                            @if let Some(f) = h.post.author.followers { " · " (f) " followers" }
                            " · " (source(h.channel_id)) " · " (time_tag(h.sent_at))
                            @if let Some(url) = h.post.url.as_deref().filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
                                " · " a href=(url) rel="noopener noreferrer" { "on the network" }
                            }
                        }
                        p.text { (h.post.text) }
                        (post_form(session, "/listening/open", "Open a conversation from this post", html! {
                            input type="hidden" name="channel_id" value=(h.channel_id.0);
                            input type="hidden" name="external_id" value=(h.external_id);
                            button type="submit" { "Open a conversation" }
                        }))
                    }
                }
            }
            @if posts.len() == PAGE as usize {
                p.muted { "The newest " (PAGE) " are shown; narrow the search to see older ones." }
            }
        }
    };
    (
        status,
        shell(session, Section::Listening, "Heard, not matched", main),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct OpenForm {
    #[serde(default)]
    csrf: String,
    channel_id: i64,
    external_id: String,
}

async fn open(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<OpenForm>,
) -> Response {
    if let Err(refused) = session.check(&form.csrf) {
        return refused;
    }
    let ws = session.user.workspace_id;
    match earshot_engine::heard::open(
        &state.pipeline,
        ws,
        ChannelId(form.channel_id),
        &form.external_id,
    )
    .await
    {
        Ok(opened) => Redirect::to(&format!("/c/{}", opened.conversation_id.0)).into_response(),
        Err(e @ OpenError::NotHeard { .. }) => {
            render(
                &state,
                &session,
                &Params::default(),
                Some((StatusCode::NOT_FOUND, e.to_string())),
            )
            .await
        }
        Err(OpenError::Store(e)) => failed(e),
    }
}
