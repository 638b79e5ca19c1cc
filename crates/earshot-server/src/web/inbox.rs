//! The agent inbox: the queue in priority order (the API's inbox query), with views (mine,
//! unassigned, my team's, all) and filters (status, channel, topic, sentiment, intent, tag).
//! Each row: channel, customer, first words, sentiment, priority, SLA time left (red once
//! breached), status and assignee. Its rows cost two queries whatever their number: the page
//! of conversations, then their customers, first words and moods together (beside them, the
//! workspace's agents, and its topics for the filter form).
//!
//! `?fragment=rows` answers only the table's rows: the page's script fetches them when the
//! live stream says something changed, so new conversations appear without a reload.

use super::{
    failed, nav_link, options, priority_badge, sentiment_badge, shell, sla_badge, url_encode,
    Section, Session,
};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use earshot_core::enrichment::{INTENTS, SENTIMENTS};
use earshot_core::store::{AssigneeFilter, ConversationCursor, ConversationQuery, InboxDetail};
use earshot_core::{ChannelKind, ConversationStatus, TeamId, TopicId};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new().route("/inbox", get(inbox))
}

/// Rows a page shows.
const PAGE: u32 = 50;

#[derive(Debug, Deserialize, Default, Clone)]
pub(crate) struct InboxParams {
    /// `all` (default), `mine`, `unassigned`, `team`.
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    topic: Option<String>,
    #[serde(default)]
    sentiment: Option<String>,
    #[serde(default)]
    intent: Option<String>,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
    /// `rows`: only the table body (for live refreshes).
    #[serde(default)]
    fragment: Option<String>,
}

/// An empty form field means "any".
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl InboxParams {
    /// The filters as a query string (without the cursor), for links that keep them.
    fn query_string(&self) -> String {
        [
            ("view", &self.view),
            ("status", &self.status),
            ("channel", &self.channel),
            ("topic", &self.topic),
            ("sentiment", &self.sentiment),
            ("intent", &self.intent),
            ("tag", &self.tag),
        ]
        .iter()
        .filter_map(|(k, v)| given(v).map(|v| format!("{k}={}", url_encode(v))))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// The store query for a view and filters; an unknown value is a message for the page.
fn query_of(
    session: &Session,
    agents: &[earshot_core::Agent],
    p: &InboxParams,
) -> Result<ConversationQuery, Response> {
    let user = &session.user;
    let mut query = ConversationQuery {
        limit: PAGE,
        ..Default::default()
    };
    match given(&p.view).unwrap_or("all") {
        "all" => {}
        "mine" => {
            query.assignee = Some(match user.agent_id {
                Some(a) => AssigneeFilter::Agent(a),
                // Someone who is not an agent has no conversations of their own.
                None => AssigneeFilter::Agent(earshot_core::AgentId(0)),
            })
        }
        "unassigned" => query.assignee = Some(AssigneeFilter::Unassigned),
        "team" => {
            let team = user
                .agent_id
                .and_then(|a| agents.iter().find(|x| x.id == a))
                .and_then(|a| a.team_id);
            query.team = Some(team.unwrap_or(TeamId(0)));
        }
        other => return Err(bad(&format!("unknown view `{other}`"))),
    }
    if let Some(s) = given(&p.status) {
        query.status = Some(
            s.parse::<ConversationStatus>()
                .map_err(|_| bad(&format!("unknown status `{s}`")))?,
        );
    }
    if let Some(c) = given(&p.channel) {
        query.channel = Some(
            c.parse::<ChannelKind>()
                .map_err(|_| bad(&format!("unknown channel `{c}`")))?,
        );
    }
    if let Some(t) = given(&p.topic) {
        query.topic = Some(TopicId(
            t.parse()
                .map_err(|_| bad(&format!("unknown topic `{t}`")))?,
        ));
    }
    if let Some(s) = given(&p.sentiment) {
        if !SENTIMENTS.contains(&s) {
            return Err(bad(&format!("unknown sentiment `{s}`")));
        }
        query.sentiment = Some(s.to_string());
    }
    if let Some(i) = given(&p.intent) {
        if !INTENTS.contains(&i) {
            return Err(bad(&format!("unknown intent `{i}`")));
        }
        query.intent = Some(i.to_string());
    }
    query.tag = given(&p.tag).map(str::to_string);
    if let Some(c) = given(&p.cursor) {
        query.after =
            Some(ConversationCursor::decode(c).ok_or_else(|| bad("that page link has expired"))?);
    }
    Ok(query)
}

fn bad(message: &str) -> Response {
    super::refused(axum::http::StatusCode::BAD_REQUEST, message)
}

async fn inbox(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<InboxParams>,
) -> Response {
    let ws = session.user.workspace_id;
    // The agents name the assignees and say which team is "my team".
    let agents = match state.store.list_agents(ws).await {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let query = match query_of(&session, &agents, &params) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let page = match state.store.list_conversations(ws, &query).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let ids: Vec<_> = page.items.iter().map(|c| c.id).collect();
    let details = match state.store.inbox_details(ws, &ids).await {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let details: HashMap<_, InboxDetail> = details.into_iter().map(|d| (d.id, d)).collect();
    let names: HashMap<_, _> = agents.iter().map(|a| (a.id, a.name.as_str())).collect();
    let rows = html! {
        @for c in &page.items {
            (row(c, details.get(&c.id), &names))
        }
        @if page.items.is_empty() {
            tr {
                td.empty colspan="8" {
                    "Nothing here: every customer in this view has been answered."
                }
            }
        }
    };
    if given(&params.fragment) == Some("rows") {
        return rows.into_response();
    }
    let filters = match filter_form(&state, &session, &params).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let main = html! {
        h1 { "Inbox" }
        (view_links(&params))
        (filters)
        div.table-wrap {
            table.inbox data-live="inbox" {
                caption { "Conversations, most urgent first" }
                thead {
                    tr {
                        @for col in COLUMNS {
                            th scope="col" { (col) }
                        }
                    }
                }
                tbody #inbox-rows { (rows) }
            }
        }
        @if let Some(cursor) = &page.next_cursor {
            p { a href=(next_page(&params, cursor)) rel="next" { "Next page" } }
        }
    };
    shell(&session, Section::Inbox, "Inbox", main).into_response()
}

const COLUMNS: [&str; 8] = [
    "Channel",
    "Customer",
    "First words",
    "Sentiment",
    "Priority",
    "SLA",
    "Status",
    "Assignee",
];

/// One conversation's row: channel, customer, first words and intents, mood, priority, SLA,
/// status and assignee.
fn row(
    c: &earshot_core::Conversation,
    d: Option<&InboxDetail>,
    names: &HashMap<earshot_core::AgentId, &str>,
) -> Markup {
    let customer = d
        .and_then(|d| d.customer.clone())
        .unwrap_or_else(|| format!("contact {}", c.contact_id));
    let ch = c.channel_kind.as_str();
    html! {
        tr data-id=(c.id.0) {
            td { span.channel.{ "ch-" (ch) } { (ch) } }
            td { a href={ "/c/" (c.id.0) } { (customer) } }
            td.words {
                @if let Some(d) = d {
                    (d.first_words)
                    @for i in &d.intents {
                        span.chip { (i.replace('_', " ")) }
                    }
                }
            }
            td { (sentiment_badge(d.and_then(|d| d.sentiment.as_deref()))) }
            td { (priority_badge(c.priority)) }
            td { (sla_badge(c.sla_due_at)) }
            td { (c.status.as_str()) }
            td {
                @match c.assignee_id.and_then(|a| names.get(&a)) {
                    Some(name) => (name),
                    None => span.muted { "unassigned" },
                }
            }
        }
    }
}

/// The link to the next page, keeping the view and filters.
fn next_page(params: &InboxParams, cursor: &str) -> String {
    let base = params.query_string();
    let sep = if base.is_empty() { "" } else { "&" };
    format!("/inbox?{base}{sep}cursor={}", url_encode(cursor))
}

/// The views (all, mine, unassigned, my team's), each keeping the filters.
fn view_links(params: &InboxParams) -> Markup {
    let view = given(&params.view).unwrap_or("all");
    let views = [
        ("all", "All"),
        ("mine", "Mine"),
        ("unassigned", "Unassigned"),
        ("team", "My team's"),
    ];
    html! {
        nav.views aria-label="Views" {
            @for (v, label) in views {
                @let href = {
                    let mut p = params.clone();
                    p.view = Some(v.to_string());
                    p.cursor = None;
                    format!("/inbox?{}", p.query_string())
                };
                (nav_link(&href, label, v == view))
            }
        }
    }
}

/// The filters, as a GET form with a label on every field.
async fn filter_form(
    state: &AppState,
    session: &Session,
    p: &InboxParams,
) -> Result<Markup, Response> {
    let topics = state
        .store
        .list_topics(session.user.workspace_id)
        .await
        .map_err(failed)?;
    let any = || vec![(String::new(), "any".to_string())];
    let mut statuses = any();
    statuses.extend(
        ["new", "open", "pending", "snoozed", "resolved"]
            .iter()
            .map(|s| (s.to_string(), s.to_string())),
    );
    let mut channels = any();
    channels.extend(
        ChannelKind::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), c.as_str().to_string())),
    );
    let mut topic_choices = any();
    topic_choices.extend(topics.iter().map(|t| (t.id.0.to_string(), t.name.clone())));
    let mut sentiments = any();
    sentiments.extend(SENTIMENTS.iter().map(|s| (s.to_string(), s.to_string())));
    let mut intents = any();
    intents.extend(INTENTS.iter().map(|s| (s.to_string(), s.replace('_', " "))));
    let select =
        |name: &str, label: &str, choices: &[(String, String)], chosen: &Option<String>| {
            let id = format!("f-{name}");
            html! {
                div.field {
                    label for=(id) { (label) }
                    select id=(id) name=(name) { (options(choices, given(chosen))) }
                }
            }
        };
    let view = given(&p.view).unwrap_or("all");
    Ok(html! {
        form.filters method="get" action="/inbox" aria-label="Filters" {
            input type="hidden" name="view" value=(view);
            (select("status", "Status", &statuses, &p.status))
            (select("channel", "Channel", &channels, &p.channel))
            (select("topic", "Topic", &topic_choices, &p.topic))
            (select("sentiment", "Sentiment", &sentiments, &p.sentiment))
            (select("intent", "Intent", &intents, &p.intent))
            div.field {
                label for="f-tag" { "Tag" }
                input #f-tag name="tag" value=(given(&p.tag).unwrap_or("")) size="10";
            }
            button type="submit" { "Filter" }
            " "
            a href={ "/inbox?view=" (view) } { "Clear" }
        }
    })
}
