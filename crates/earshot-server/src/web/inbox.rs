//! The agent inbox: the queue in priority order (the API's inbox query), with views (mine,
//! unassigned, my team's, all) and filters (status, channel, topic, sentiment, intent, tag).
//! Each row: channel, customer, first words, sentiment, priority, SLA time left (red once
//! breached), status and assignee. Its rows cost two queries whatever their number: the page
//! of conversations, then their customers, first words and moods together (beside them, the
//! workspace's agents, and its topics for the filter form).
//!
//! `?fragment=rows` answers only the table's rows: the page's script fetches them when the
//! live stream says something changed, so new conversations appear without a reload.

use super::legacy::{escape, options, priority_badge, sentiment_badge, sla_badge};
use super::{failed, shell, url_encode, Section, Session};
use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use earshot_core::enrichment::{INTENTS, SENTIMENTS};
use earshot_core::store::{AssigneeFilter, ConversationCursor, ConversationQuery, InboxDetail};
use earshot_core::{ChannelKind, ConversationStatus, TeamId, TopicId};
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
    let mut rows = String::new();
    for c in &page.items {
        let d = details.get(&c.id);
        let customer = d
            .and_then(|d| d.customer.clone())
            .unwrap_or_else(|| format!("contact {}", c.contact_id));
        let first = d.map(|d| d.first_words.as_str()).unwrap_or("");
        let intents = d
            .map(|d| {
                d.intents
                    .iter()
                    .map(|i| {
                        format!(
                            "<span class=\"chip\">{}</span>",
                            escape(&i.replace('_', " "))
                        )
                    })
                    .collect::<String>()
            })
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr data-id=\"{id}\"><td><span class=\"channel ch-{ch}\">{ch}</span></td>\
             <td><a href=\"/c/{id}\">{customer}</a></td><td class=\"words\">{first}{intents}</td>\
             <td>{sentiment}</td><td>{priority}</td><td>{sla}</td><td>{status}</td><td>{assignee}</td></tr>",
            id = c.id.0,
            ch = escape(c.channel_kind.as_str()),
            customer = escape(&customer),
            first = escape(first),
            sentiment = sentiment_badge(d.and_then(|d| d.sentiment.as_deref())),
            priority = priority_badge(c.priority),
            sla = sla_badge(c.sla_due_at),
            status = escape(c.status.as_str()),
            assignee = c
                .assignee_id
                .and_then(|a| names.get(&a))
                .map(|n| escape(n))
                .unwrap_or_else(|| "<span class=\"muted\">unassigned</span>".into()),
        ));
    }
    if page.items.is_empty() {
        rows.push_str("<tr><td colspan=\"8\" class=\"empty\">Nothing here: every customer in this view has been answered.</td></tr>");
    }
    if given(&params.fragment) == Some("rows") {
        return Html(rows).into_response();
    }
    let filters = match filter_form(&state, &session, &params).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let view = given(&params.view).unwrap_or("all");
    let base = params.query_string();
    let next = page
        .next_cursor
        .map(|c| {
            format!(
                "<p><a href=\"/inbox?{}{}cursor={}\" rel=\"next\">Next page</a></p>",
                base,
                if base.is_empty() { "" } else { "&" },
                url_encode(&c)
            )
        })
        .unwrap_or_default();
    let views = [
        ("all", "All"),
        ("mine", "Mine"),
        ("unassigned", "Unassigned"),
        ("team", "My team's"),
    ]
    .iter()
    .map(|(v, label)| {
        let mut p = params.clone();
        p.view = Some(v.to_string());
        p.cursor = None;
        format!(
            "<a href=\"/inbox?{}\"{}>{label}</a>",
            p.query_string(),
            if *v == view {
                " aria-current=\"page\""
            } else {
                ""
            }
        )
    })
    .collect::<String>();
    let main = format!(
        "<h1>Inbox</h1><nav class=\"views\" aria-label=\"Views\">{views}</nav>{filters}\
         <div class=\"table-wrap\"><table class=\"inbox\" data-live=\"inbox\">\
         <caption>Conversations, most urgent first</caption>\
         <thead><tr><th scope=\"col\">Channel</th><th scope=\"col\">Customer</th><th scope=\"col\">First words</th>\
         <th scope=\"col\">Sentiment</th><th scope=\"col\">Priority</th><th scope=\"col\">SLA</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Assignee</th></tr></thead>\
         <tbody id=\"inbox-rows\">{rows}</tbody></table></div>{next}"
    );
    shell(&session, Section::Inbox, "Inbox", maud::PreEscaped(main)).into_response()
}

/// The filters, as a GET form with a label on every field.
async fn filter_form(
    state: &AppState,
    session: &Session,
    p: &InboxParams,
) -> Result<String, Response> {
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
    let select = |name: &str,
                  label: &str,
                  choices: &[(String, String)],
                  chosen: &Option<String>| {
        format!(
            "<div class=\"field\"><label for=\"f-{name}\">{label}</label><select id=\"f-{name}\" name=\"{name}\">{}</select></div>",
            options(choices, given(chosen))
        )
    };
    Ok(format!(
        "<form class=\"filters\" method=\"get\" action=\"/inbox\" aria-label=\"Filters\">\
         <input type=\"hidden\" name=\"view\" value=\"{}\">{}{}{}{}{}\
         <div class=\"field\"><label for=\"f-tag\">Tag</label><input id=\"f-tag\" name=\"tag\" value=\"{}\" size=\"10\"></div>\
         <button type=\"submit\">Filter</button> <a href=\"/inbox?view={}\">Clear</a></form>",
        escape(given(&p.view).unwrap_or("all")),
        select("status", "Status", &statuses, &p.status),
        select("channel", "Channel", &channels, &p.channel),
        select("topic", "Topic", &topic_choices, &p.topic),
        select("sentiment", "Sentiment", &sentiments, &p.sentiment),
        select("intent", "Intent", &intents, &p.intent),
        escape(given(&p.tag).unwrap_or("")),
        escape(given(&p.view).unwrap_or("all")),
    ))
}
