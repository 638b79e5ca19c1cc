//! One conversation: the thread (each message's channel, time, sentiment and intents, with
//! their explanations on demand), the customer beside it (identities across channels,
//! followers, past conversations, opt-out), the reply box on the conversation's own channel
//! (with saved replies and the collision check), private notes, assign / transfer, status,
//! snooze, tags, the SLA countdown and the history of events.
//!
//! Every action is a form POST with the session's CSRF token, done through the same workflow
//! calls as the API (so rules, the desk and the SLA clock follow), answered with a redirect
//! back to the page (`303 See Other`), or the page again with what went wrong.

use super::{
    error_notice, failed, not_found, options, post_form, priority_badge, sentiment_badge, shell,
    sla_badge, time_tag, Section, Session,
};
use crate::extract::Form;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use earshot_core::enrichment::Enrichment;
use earshot_core::rules::Actor;
use earshot_core::store::{ConversationQuery, SavedReply};
use earshot_core::workflow::{ConversationChange, ConversationEvent, NewEvent};
use earshot_core::{
    Agent, AgentId, Conversation, ConversationId, ConversationStatus, Direction, Message,
    MessageId, Team, TeamId, Visibility, WorkspaceId,
};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

mod actions;
mod customer;

use actions::*;
use customer::{customer_panel, erase, merge, not_same, undo_merge, FindQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{id}", get(page))
        .route("/c/{id}/reply", post(reply))
        .route("/c/{id}/note", post(note))
        .route("/c/{id}/assign", post(assign))
        .route("/c/{id}/status", post(status))
        .route("/c/{id}/snooze", post(snooze))
        .route("/c/{id}/tags", post(tags))
        .route("/c/{id}/merge", post(merge))
        .route("/c/{id}/not-same", post(not_same))
        .route("/c/{id}/erase", post(erase))
        .route("/c/{id}/merges/{merge}/undo", post(undo_merge))
}

pub(super) async fn page(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    crate::extract::Query(q): crate::extract::Query<FindQuery>,
) -> Response {
    let find = q.find.as_deref().map(str::trim).filter(|f| !f.is_empty());
    render_finding(
        &state,
        &session,
        ConversationId(id),
        None,
        StatusCode::OK,
        find,
    )
    .await
}

/// A message for the agent above the page (an action that could not be done).
pub(super) struct Notice {
    text: String,
    /// The reply they wrote, kept when a reply was refused.
    draft: Option<String>,
}

pub(super) async fn render(
    state: &AppState,
    session: &Session,
    id: ConversationId,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    render_finding(state, session, id, notice, status, None).await
}

/// The page; with `find`, the customer panel lists the contacts it finds, to merge.
async fn render_finding(
    state: &AppState,
    session: &Session,
    id: ConversationId,
    notice: Option<Notice>,
    status: StatusCode,
    find: Option<&str>,
) -> Response {
    let ws = session.user.workspace_id;
    let store = &state.store;
    let c = match store.get_conversation(ws, id).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found("conversation"),
        Err(e) => return failed(e),
    };
    let past_query = ConversationQuery {
        contact: Some(c.contact_id),
        limit: 20,
        ..Default::default()
    };
    let loaded = tokio::try_join!(
        store.conversation_messages(ws, id),
        store.conversation_enrichments(ws, id),
        store.conversation_topics(ws, id),
        store.get_contact(ws, c.contact_id),
        store.conversation_tags(ws, id),
        store.conversation_events(ws, id),
        store.list_agents(ws),
        store.list_teams(ws),
        store.list_topics(ws),
        store.list_saved_replies(ws),
        store.list_conversations(ws, &past_query),
        store.list_outbox(ws, Some(id)),
        store.contact_merges(ws, c.contact_id),
        customer::find(store.as_ref(), ws, c.contact_id, find),
        customer::suggested(store.as_ref(), ws, c.contact_id),
        store.contact_orders(ws, c.contact_id, 5),
        store.consent_ledger(ws, c.contact_id),
    );
    let (
        messages,
        enrichments,
        message_topics,
        contact,
        tags,
        events,
        agents,
        teams,
        topics,
        saved,
        past,
        outbox,
        merges,
        found,
        suggested,
        (recent_orders, order_summary),
        ledger,
    ) = match loaded {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    // Orders the customer names (`#1001`, "order 1001") link to the order.
    let named_orders = match earshot_engine::orders::named_in(
        store.as_ref(),
        ws,
        messages
            .iter()
            .filter(|m| m.direction == earshot_core::Direction::In)
            .map(|m| m.text.as_str()),
    )
    .await
    {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let mut enrichments: HashMap<_, _> = enrichments.into_iter().collect();
    let topic_names: HashMap<_, _> = topics.iter().map(|t| (t.id, t.name.as_str())).collect();
    let mut topics_of: HashMap<MessageId, Vec<&str>> = HashMap::new();
    for (m, t) in &message_topics {
        if let Some(name) = topic_names.get(t) {
            topics_of.entry(*m).or_default().push(name);
        }
    }
    let agent_names: HashMap<_, _> = agents.iter().map(|a| (a.id, a.name.as_str())).collect();
    let customer = contact
        .as_ref()
        .and_then(|p| {
            p.contact.display_name.clone().or_else(|| {
                p.identities
                    .iter()
                    .find_map(|i| i.handle.clone().map(|h| format!("@{h}")))
            })
        })
        .unwrap_or_else(|| format!("contact {}", c.contact_id));
    let deliveries: HashMap<MessageId, &earshot_core::workflow::OutboxItem> = outbox
        .iter()
        .filter_map(|o| o.message_id.map(|m| (m, o)))
        .collect();
    let thread: Vec<Markup> = messages
        .iter()
        .map(|m| {
            let enrichment = enrichments.remove(&m.id).map(|mut e| {
                state.pipeline.explain(&m.text, &mut e);
                e
            });
            let topics = topics_of.get(&m.id).map(Vec::as_slice).unwrap_or_default();
            message_item(
                m,
                &customer,
                enrichment.as_ref(),
                topics,
                deliveries.get(&m.id).copied(),
            )
        })
        .collect();
    let reply = ReplyBox {
        customer: &customer,
        last_seen: messages.iter().map(|m| m.id.0).max().unwrap_or(0),
        saved: &saved,
        opted_out: contact.as_ref().is_some_and(|p| p.contact.opted_out),
        draft: notice
            .as_ref()
            .and_then(|n| n.draft.as_deref())
            .unwrap_or(""),
    };
    let others: Vec<_> = past.items.iter().filter(|o| o.id != c.id).collect();
    let team = c.team_id.and_then(|t| teams.iter().find(|x| x.id == t));
    let main = html! {
        p { a href="/inbox" { "← Inbox" } }
        h1 { "Conversation " (c.id.0) " with " (customer) }
        (error_notice(notice.as_ref().map(|n| n.text.as_str())))
        (summary(&c, &agent_names, team))
        div.conversation data-live="conversation" data-id=(c.id.0) {
            div.thread-col {
                ol.thread #thread aria-label="Messages" {
                    @for m in &thread { (m) }
                }
                (reply.render(session, &c))
                section.card aria-labelledby="hist-h" {
                    h2 #hist-h { "History" }
                    ol.history #history reversed {
                        @for e in events.iter().rev() {
                            (history_item(e, &agent_names))
                        }
                    }
                }
            }
            aside.side-col aria-label="Customer and actions" {
                (customer_panel(session, &c, &customer, contact.as_ref(), &others, customer::SamePerson {
                    merges: &merges,
                    found: find.map(|f| (f, found.as_slice())),
                    suggested: &suggested,
                }, (&customer::Orders {
                    recent: &recent_orders,
                    summary: &order_summary,
                    named: &named_orders,
                }, &customer::Choices {
                    purposes: &earshot_core::preferences::current(&ledger, None),
                    link: &state.channels.preference_link(ws, c.contact_id, earshot_core::preferences::DEFAULT_LINK_DAYS).0,
                })))
                (actions_panel(session, &c, &agents, &teams, &tags))
            }
        }
    };
    (
        status,
        shell(
            session,
            Section::Inbox,
            &format!("Conversation {}", c.id),
            main,
        ),
    )
        .into_response()
}

/// The form that posts an action to the conversation.
fn action_form(
    session: &Session,
    c: &Conversation,
    action: &str,
    label: &str,
    content: Markup,
) -> Markup {
    post_form(session, &format!("/c/{}/{action}", c.id.0), label, content)
}

/// A share as a whole percentage.
fn percent(share: f32) -> String {
    format!("{:.0}%", share * 100.0)
}

/// The line under the heading: channel, status, priority, SLA, assignee and team.
fn summary(c: &Conversation, agents: &HashMap<AgentId, &str>, team: Option<&Team>) -> Markup {
    html! {
        p.summary #summary {
            (c.channel_kind.as_str()) " · status " strong { (c.status.as_str()) }
            " · " (priority_badge(c.priority))
            " · SLA " (sla_badge(c.sla_due_at))
            @if let Some(due) = c.sla_due_at { " (due " (time_tag(due)) ")" }
            " · assigned to "
            strong #assignee {
                (c.assignee_id.and_then(|a| agents.get(&a)).copied().unwrap_or("nobody"))
            }
            @if let Some(t) = team { " · team " (t.name) }
        }
    }
}

/// A message of the thread: who, where and when, the text, and its labels with the reasons
/// behind them.
fn message_item(
    m: &Message,
    customer: &str,
    e: Option<&Enrichment>,
    topics: &[&str],
    delivery: Option<&earshot_core::workflow::OutboxItem>,
) -> Markup {
    let inbound = m.direction == Direction::In;
    html! {
        li class={ "msg " (if inbound { "in" } else { "out" }) } id={ "m" (m.id.0) } {
            p.meta {
                strong { @if inbound { (customer) } @else { "Brand" } }
                " on " (m.channel_kind.as_str()) " · " (time_tag(m.sent_at))
                @if m.visibility == Visibility::Private { " · private" }
                @if let Some(d) = delivery { " · " (delivery_badge(d)) }
            }
            @if let Some(at) = m.deleted_at {
                // The customer took it back: the page respects that (the record stays for
                // an export).
                p.deleted { "The customer deleted this message " (time_tag(at)) "." }
            } @else {
                p.text { (m.text) }
            }
            @if !m.attachments.is_empty() && m.deleted_at.is_none() {
                ul.attachments aria-label="Attachments" {
                    @for a in &m.attachments { li { (attachment(a)) } }
                }
            }
            div.labels {
                @if let Some(e) = e {
                    (sentiment_badge(Some(&e.sentiment.label)))
                    @for i in &e.intents {
                        span.chip { (i.name.replace('_', " ")) " " (percent(i.confidence)) }
                    }
                    details.why { summary { "Why?" } (explanation(e)) }
                }
                @for t in topics {
                    span.chip.topic { "#" (t) }
                }
            }
        }
    }
}

/// One attachment as agents read it: what it is, its name, type and size, where it is.
fn attachment(a: &earshot_core::Attachment) -> Markup {
    let size = a.size.map(|b| match b {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{} KB", b >> 10),
        b => format!("{b} bytes"),
    });
    let details: Vec<&str> = [a.name.as_deref(), a.mime_type.as_deref(), size.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    html! {
        span.chip { (a.kind) }
        " " (details.join(" · "))
        @if let Some(url) = a.url.as_deref().filter(|u| u.starts_with("https://")) {
            " · " a href=(url) rel="noopener noreferrer nofollow" target="_blank" { "open" }
        } @else if let Some(id) = &a.media_id {
            " · " small { "media " (id) }
        }
    }
}

/// Where a reply is, as the platform reported it; why, when it did not leave.
fn delivery_badge(d: &earshot_core::workflow::OutboxItem) -> Markup {
    use earshot_core::connector::DeliveryState as D;
    let (label, class) = match d.delivery {
        D::Queued if d.last_error.is_some() => ("waiting", "warn"),
        D::Queued => ("queued", "muted"),
        D::Sent => ("sent", "ok"),
        D::Delivered => ("delivered", "ok"),
        D::Read => ("read", "ok"),
        D::Failed => ("failed", "bad"),
        D::NotSent => ("not sent", "bad"),
    };
    html! {
        span class={ "delivery " (class) } data-delivery=(d.delivery.as_str()) {
            (label)
            @if let (Some(why), true) = (&d.last_error, matches!(d.delivery, D::Failed | D::NotSent | D::Queued)) {
                ": " (why)
            }
        }
    }
}

/// The reply box (on the conversation's own channel, with saved replies and the collision
/// check) and the private note.
struct ReplyBox<'a> {
    customer: &'a str,
    /// The newest message the agent has seen, for the collision check.
    last_seen: i64,
    saved: &'a [SavedReply],
    opted_out: bool,
    /// What the agent wrote, kept when a reply was refused.
    draft: &'a str,
}

impl ReplyBox<'_> {
    fn render(&self, session: &Session, c: &Conversation) -> Markup {
        let mut saved = vec![(String::new(), "Insert a saved reply…".to_string())];
        saved.extend(self.saved.iter().map(|s| (s.text.clone(), s.name.clone())));
        let reply = html! {
            input type="hidden" name="last_seen_message_id" value=(self.last_seen);
            @if !self.saved.is_empty() {
                label for="saved" { "Saved replies" }
                select #saved data-insert="reply-text" { (options(&saved, None)) }
            }
            label for="reply-text" { "Your reply to " (self.customer) }
            textarea #reply-text name="text" rows="4" required { (self.draft) }
            div.row {
                button type="submit" { "Send reply" }
                label.inline {
                    input type="checkbox" name="force" value="1";
                    " send even if someone answered since I loaded this"
                }
            }
        };
        let note = html! {
            label for="note-text" { "Private note (only your team sees it)" }
            textarea #note-text name="text" rows="2" required {}
            button type="submit" { "Add note" }
        };
        html! {
            section.card aria-labelledby="reply-h" {
                h2 #reply-h { "Reply on " (c.channel_kind.as_str()) }
                @if self.opted_out {
                    p.warning role="note" {
                        "This customer opted out of engagement: reply only to what they asked."
                    }
                }
                (action_form(session, c, "reply", "Reply", reply))
                (action_form(session, c, "note", "Private note", note))
            }
        }
    }
}

/// Assign / transfer, status, snooze and tags.
fn actions_panel(
    session: &Session,
    c: &Conversation,
    agents: &[Agent],
    teams: &[Team],
    tags: &[String],
) -> Markup {
    let mut agent_choices = vec![(String::new(), "nobody (back to the team)".to_string())];
    agent_choices.extend(agents.iter().map(|a| (a.id.0.to_string(), a.name.clone())));
    let mut team_choices = vec![(String::new(), "no team".to_string())];
    team_choices.extend(teams.iter().map(|t| (t.id.0.to_string(), t.name.clone())));
    let assignee = c.assignee_id.map(|a| a.0.to_string()).unwrap_or_default();
    let team = c.team_id.map(|t| t.0.to_string()).unwrap_or_default();
    let statuses = [
        ConversationStatus::Open,
        ConversationStatus::Pending,
        ConversationStatus::Resolved,
    ];
    let status_label = |s: ConversationStatus| match s {
        ConversationStatus::Open if c.status == ConversationStatus::Resolved => "Reopen",
        ConversationStatus::Open => "Mark open",
        ConversationStatus::Pending => "Mark pending",
        _ => "Resolve",
    };
    let snooze_choices = [
        ("60", "1 hour"),
        ("240", "4 hours"),
        ("1440", "1 day"),
        ("4320", "3 days"),
    ]
    .map(|(v, l)| (v.to_string(), l.to_string()));
    let assign = html! {
        label for="assign-agent" { "Assignee" }
        select #assign-agent name="agent_id" { (options(&agent_choices, Some(&assignee))) }
        label for="assign-team" { "Team" }
        select #assign-team name="team_id" { (options(&team_choices, Some(&team))) }
        button type="submit" { "Assign" }
    };
    let status = html! {
        p.label { "Status: " strong #status { (c.status.as_str()) } }
        div.row {
            @for s in statuses.into_iter().filter(|s| *s != c.status) {
                button type="submit" name="status" value=(s.as_str()) { (status_label(s)) }
            }
        }
    };
    let snooze = html! {
        label for="snooze-for" { "Snooze for" }
        select #snooze-for name="minutes" { (options(&snooze_choices, None)) }
        button type="submit" { "Snooze" }
    };
    let tag_list = html! {
        p.label { "Tags" }
        ul.tags {
            @for t in tags {
                li {
                    span.chip { (t) }
                    button.link type="submit" name="remove" value=(t)
                        aria-label={ "Remove tag " (t) } { "×" }
                }
            }
        }
        label for="tag-add" { "Add a tag" }
        input #tag-add name="add" maxlength="64";
        button type="submit" { "Add tag" }
    };
    html! {
        section.card aria-labelledby="act-h" {
            h2 #act-h { "Actions" }
            (action_form(session, c, "assign", "Assign", assign))
            (action_form(session, c, "status", "Status", status))
            (action_form(session, c, "snooze", "Snooze", snooze))
            (action_form(session, c, "tags", "Tags", tag_list))
        }
    }
}

/// An event of the history: when, what, by whom, and what it changed.
fn history_item(e: &ConversationEvent, agents: &HashMap<AgentId, &str>) -> Markup {
    html! {
        li {
            (time_tag(e.at)) " · " strong { (e.kind.replace('_', " ")) }
            " by " (actor_name(e.actor, agents)) (event_detail(e, agents))
        }
    }
}

/// The reasons behind each label, strongest first.
pub(super) fn explanation(e: &Enrichment) -> Markup {
    let reasons = |because: &[earshot_core::enrichment::Reason]| {
        html! {
            @if because.is_empty() {
                span.muted { "no single feature stands out" }
            }
            @for (k, r) in because.iter().take(6).enumerate() {
                @if k > 0 { ", " }
                code { (r.feature) } " " (format!("{:+.2}", r.weight))
            }
        }
    };
    html! {
        dl {
            dt { "Language" }
            dd { (e.language) " (" (percent(e.language_confidence)) ")" }
            dt { "Sentiment: " (e.sentiment.label) }
            dd { (reasons(&e.sentiment.because)) }
            @for i in &e.intents {
                dt { (i.name.replace('_', " ")) " (" (percent(i.confidence)) ")" }
                dd { (reasons(&i.because)) }
            }
            dt { "Urgency " (format!("{:.2}", e.urgency.score)) }
            dd { (reasons(&e.urgency.because)) }
        }
    }
}

pub(super) fn actor_name(a: Actor, agents: &HashMap<AgentId, &str>) -> String {
    match a {
        Actor::Customer => "the customer".into(),
        Actor::Agent(id) => agents
            .get(&id)
            .map(|n| n.to_string())
            .unwrap_or_else(|| format!("agent {id}")),
        Actor::Rule(id) => format!("rule {id}"),
        Actor::System => "Earshot".into(),
    }
}

/// The few words that say what an event changed.
pub(super) fn event_detail(e: &ConversationEvent, agents: &HashMap<AgentId, &str>) -> String {
    let d = &e.data;
    let s = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_string);
    match e.kind.as_str() {
        "status_changed" => format!(
            ": {} → {}",
            s("from").unwrap_or_default(),
            s("to").unwrap_or_default()
        ),
        "assigned" => {
            let to = d
                .pointer("/to/agent")
                .and_then(|v| v.as_i64())
                .map(|a| {
                    agents
                        .get(&AgentId(a))
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| format!("agent {a}"))
                })
                .unwrap_or_else(|| "nobody".into());
            format!(": to {to}")
        }
        "sla_due" => match d.get("to") {
            Some(serde_json::Value::Number(ms)) => ms
                .as_i64()
                .map(|ms| {
                    earshot_core::time::from_millis(ms)
                        .format(": due %Y-%m-%d %H:%M UTC")
                        .to_string()
                })
                .unwrap_or_default(),
            Some(serde_json::Value::String(t)) => chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.to_utc().format(": due %Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|_| format!(": due {t}")),
            _ => ": nobody waits".into(),
        },
        "snoozed" => format!(": until {}", s("until").unwrap_or_default()),
        "sla_warning" | "sla_breach" => {
            format!(" ({})", s("target").unwrap_or_else(|| "response".into()))
        }
        "note" => format!(": “{}”", s("text").unwrap_or_default()),
        "reaction" => match s("emoji") {
            Some(emoji) => format!(": {emoji} on message {}", d["message_id"]),
            None => format!(": removed from message {}", d["message_id"]),
        },
        "tagged" | "untagged" => format!(": {}", s("tag").unwrap_or_default()),
        "sla_answered" => {
            if d.get("met").and_then(|v| v.as_bool()) == Some(true) {
                ": within the SLA".into()
            } else {
                ": after the SLA was breached".into()
            }
        }
        "priority_changed" => format!(
            ": {} → {}",
            d.get("from").map(|v| v.to_string()).unwrap_or_default(),
            d.get("to").map(|v| v.to_string()).unwrap_or_default()
        ),
        _ => String::new(),
    }
}
