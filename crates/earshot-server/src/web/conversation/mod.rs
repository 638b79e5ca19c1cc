//! One conversation: the thread (each message's channel, time, sentiment and intents, with
//! their explanations on demand), the customer beside it (identities across channels,
//! followers, past conversations, opt-out), the reply box on the conversation's own channel
//! (with saved replies and the collision check), private notes, assign / transfer, status,
//! snooze, tags, the SLA countdown and the history of events.
//!
//! Every action is a form POST with the session's CSRF token, done through the same workflow
//! calls as the API (so rules, the desk and the SLA clock follow), answered with a redirect
//! back to the page (`303 See Other`), or the page again with what went wrong.

use super::legacy::{
    csrf_field, escape, options, priority_badge, sentiment_badge, sla_badge, time_tag,
};
use super::{failed, not_found, shell, Section, Session};
use crate::extract::Form;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use earshot_core::rules::Actor;
use earshot_core::store::ConversationQuery;
use earshot_core::workflow::{ConversationChange, ConversationEvent, NewEvent};
use earshot_core::{
    AgentId, ConversationId, ConversationStatus, Direction, MessageId, TeamId, WorkspaceId,
};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

mod actions;

use actions::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/c/{id}", get(page))
        .route("/c/{id}/reply", post(reply))
        .route("/c/{id}/note", post(note))
        .route("/c/{id}/assign", post(assign))
        .route("/c/{id}/status", post(status))
        .route("/c/{id}/snooze", post(snooze))
        .route("/c/{id}/tags", post(tags))
}

pub(super) async fn page(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    render(&state, &session, ConversationId(id), None, StatusCode::OK).await
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
    ) = match loaded {
        Ok(x) => x,
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

    // The thread.
    let mut thread = String::new();
    for m in &messages {
        let who = if m.direction == Direction::In {
            escape(&customer)
        } else {
            "Brand".into()
        };
        let mut labels = String::new();
        if let Some(mut e) = enrichments.remove(&m.id) {
            state.pipeline.explain(&m.text, &mut e);
            labels.push_str(&sentiment_badge(Some(&e.sentiment.label)));
            for i in &e.intents {
                labels.push_str(&format!(
                    "<span class=\"chip\">{} {:.0}%</span>",
                    escape(&i.name.replace('_', " ")),
                    i.confidence * 100.0
                ));
            }
            labels.push_str(&format!(
                "<details class=\"why\"><summary>Why?</summary>{}</details>",
                explanation(&e)
            ));
        }
        for t in topics_of.get(&m.id).into_iter().flatten() {
            labels.push_str(&format!("<span class=\"chip topic\">#{}</span>", escape(t)));
        }
        thread.push_str(&format!(
            "<li class=\"msg {dir}\" id=\"m{id}\"><p class=\"meta\"><strong>{who}</strong> on {ch} · {time}{vis}</p>\
             <p class=\"text\">{text}</p><div class=\"labels\">{labels}</div></li>",
            dir = if m.direction == Direction::In { "in" } else { "out" },
            id = m.id.0,
            ch = escape(m.channel_kind.as_str()),
            time = time_tag(m.sent_at),
            vis = if m.visibility == earshot_core::Visibility::Private {
                " · private"
            } else {
                ""
            },
            text = escape(&m.text),
        ));
    }
    let last_seen = messages.iter().map(|m| m.id.0).max().unwrap_or(0);

    // The reply box, notes and actions.
    let notice_html = notice
        .as_ref()
        .map(|n| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(&n.text)))
        .unwrap_or_default();
    let opted_out = contact.as_ref().is_some_and(|p| p.contact.opted_out);
    let saved_select = if saved.is_empty() {
        String::new()
    } else {
        let mut choices = vec![(String::new(), "Insert a saved reply…".to_string())];
        choices.extend(saved.iter().map(|s| (s.text.clone(), s.name.clone())));
        format!(
            "<label for=\"saved\">Saved replies</label><select id=\"saved\" data-insert=\"reply-text\">{}</select>",
            options(&choices, None)
        )
    };
    let form_start = |action: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/c/{}/{action}\" aria-label=\"{label}\">{}",
            c.id.0,
            csrf_field(session)
        )
    };
    let reply_box = format!(
        "<section class=\"card\" aria-labelledby=\"reply-h\"><h2 id=\"reply-h\">Reply on {ch}</h2>{warn}{form}\
         <input type=\"hidden\" name=\"last_seen_message_id\" value=\"{last_seen}\">{saved_select}\
         <label for=\"reply-text\">Your reply to {customer}</label>\
         <textarea id=\"reply-text\" name=\"text\" rows=\"4\" required>{draft}</textarea>\
         <div class=\"row\"><button type=\"submit\">Send reply</button>\
         <label class=\"inline\"><input type=\"checkbox\" name=\"force\" value=\"1\"> send even if someone answered since I loaded this</label></div></form>\
         {note}<label for=\"note-text\">Private note (only your team sees it)</label>\
         <textarea id=\"note-text\" name=\"text\" rows=\"2\" required></textarea><button type=\"submit\">Add note</button></form></section>",
        ch = escape(c.channel_kind.as_str()),
        warn = if opted_out {
            "<p class=\"warning\" role=\"note\">This customer opted out of engagement: reply only to what they asked.</p>"
        } else {
            ""
        },
        form = form_start("reply", "Reply"),
        customer = escape(&customer),
        draft = escape(notice.as_ref().and_then(|n| n.draft.as_deref()).unwrap_or("")),
        note = form_start("note", "Private note"),
    );
    let mut agent_choices = vec![(String::new(), "nobody (back to the team)".to_string())];
    agent_choices.extend(agents.iter().map(|a| (a.id.0.to_string(), a.name.clone())));
    let mut team_choices = vec![(String::new(), "no team".to_string())];
    team_choices.extend(teams.iter().map(|t| (t.id.0.to_string(), t.name.clone())));
    let assignee = c.assignee_id.map(|a| a.0.to_string());
    let team = c.team_id.map(|t| t.0.to_string());
    let status_buttons: String = [
        ConversationStatus::Open,
        ConversationStatus::Pending,
        ConversationStatus::Resolved,
    ]
    .iter()
    .filter(|s| **s != c.status)
    .map(|s| {
        let label = match s {
            ConversationStatus::Open if c.status == ConversationStatus::Resolved => "Reopen",
            ConversationStatus::Open => "Mark open",
            ConversationStatus::Pending => "Mark pending",
            _ => "Resolve",
        };
        format!(
            "<button type=\"submit\" name=\"status\" value=\"{}\">{label}</button>",
            s.as_str()
        )
    })
    .collect();
    let tag_list: String = tags
        .iter()
        .map(|t| {
            format!(
                "<li><span class=\"chip\">{0}</span><button type=\"submit\" name=\"remove\" value=\"{0}\" class=\"link\" aria-label=\"Remove tag {0}\">×</button></li>",
                escape(t)
            )
        })
        .collect();
    let actions = format!(
        "<section class=\"card\" aria-labelledby=\"act-h\"><h2 id=\"act-h\">Actions</h2>\
         {assign}<label for=\"assign-agent\">Assignee</label><select id=\"assign-agent\" name=\"agent_id\">{agents}</select>\
         <label for=\"assign-team\">Team</label><select id=\"assign-team\" name=\"team_id\">{teams}</select>\
         <button type=\"submit\">Assign</button></form>\
         {status}<p class=\"label\">Status: <strong id=\"status\">{current}</strong></p><div class=\"row\">{status_buttons}</div></form>\
         {snooze}<label for=\"snooze-for\">Snooze for</label><select id=\"snooze-for\" name=\"minutes\">{snooze_choices}</select>\
         <button type=\"submit\">Snooze</button></form>\
         {tags_form}<p class=\"label\">Tags</p><ul class=\"tags\">{tag_list}</ul>\
         <label for=\"tag-add\">Add a tag</label><input id=\"tag-add\" name=\"add\" maxlength=\"64\"><button type=\"submit\">Add tag</button></form></section>",
        assign = form_start("assign", "Assign"),
        agents = options(&agent_choices, Some(assignee.as_deref().unwrap_or(""))),
        teams = options(&team_choices, Some(team.as_deref().unwrap_or(""))),
        status = form_start("status", "Status"),
        current = escape(c.status.as_str()),
        snooze = form_start("snooze", "Snooze"),
        snooze_choices = options(
            &[
                ("60".into(), "1 hour".into()),
                ("240".into(), "4 hours".into()),
                ("1440".into(), "1 day".into()),
                ("4320".into(), "3 days".into()),
            ],
            None
        ),
        tags_form = form_start("tags", "Tags"),
    );

    // The customer.
    let mut panel = format!(
        "<section class=\"card\" aria-labelledby=\"cust-h\"><h2 id=\"cust-h\">{}</h2>",
        escape(&customer)
    );
    if let Some(p) = &contact {
        panel.push_str("<ul class=\"identities\" aria-label=\"Identities\">");
        for i in &p.identities {
            panel.push_str(&format!(
                "<li><span class=\"channel ch-{k}\">{k}</span> {handle}{verified}{followers}</li>",
                k = escape(i.kind.as_str()),
                handle = escape(
                    &i.handle
                        .clone()
                        .map(|h| format!("@{h}"))
                        .unwrap_or_else(|| i.external_id.clone())
                ),
                verified = if i.verified { " ✓ verified" } else { "" },
                followers = i
                    .followers
                    .map(|f| format!(" · {f} followers"))
                    .unwrap_or_default(),
            ));
        }
        panel.push_str("</ul>");
        panel.push_str(&format!(
            "<p>Engagement: <strong>{}</strong></p>",
            if p.contact.opted_out {
                "opted out"
            } else {
                "welcome"
            }
        ));
        if let Some(t) = &p.contact.tier {
            panel.push_str(&format!("<p>Tier: {}</p>", escape(t)));
        }
        if let Some(v) = p.contact.value {
            panel.push_str(&format!("<p>Value: {v:.2}</p>"));
        }
    }
    let others: Vec<_> = past.items.iter().filter(|o| o.id != c.id).collect();
    panel.push_str("<h3>Other conversations</h3>");
    if others.is_empty() {
        panel.push_str("<p class=\"muted\">None.</p>");
    } else {
        panel.push_str("<ul>");
        for o in others {
            panel.push_str(&format!(
                "<li><a href=\"/c/{0}\">Conversation {0}</a> · {1} · {2}</li>",
                o.id.0,
                escape(o.status.as_str()),
                time_tag(o.first_message_at)
            ));
        }
        panel.push_str("</ul>");
    }
    panel.push_str("</section>");

    // The history.
    let history: String = events
        .iter()
        .rev()
        .map(|e| {
            format!(
                "<li>{} · <strong>{}</strong> by {}{}</li>",
                time_tag(e.at),
                escape(&e.kind.replace('_', " ")),
                escape(&actor_name(e.actor, &agent_names)),
                escape(&event_detail(e, &agent_names))
            )
        })
        .collect();

    let main = format!(
        "<p><a href=\"/inbox\">← Inbox</a></p>\
         <h1>Conversation {id} with {customer}</h1>{notice_html}\
         <p class=\"summary\" id=\"summary\">{ch} · status <strong>{status}</strong> · {priority} · SLA {sla}{due} · assigned to <strong id=\"assignee\">{assigned}</strong>{team}</p>\
         <div class=\"conversation\" data-live=\"conversation\" data-id=\"{id}\"><div class=\"thread-col\">\
         <ol class=\"thread\" id=\"thread\" aria-label=\"Messages\">{thread}</ol>{reply_box}\
         <section class=\"card\" aria-labelledby=\"hist-h\"><h2 id=\"hist-h\">History</h2><ol class=\"history\" id=\"history\" reversed>{history}</ol></section></div>\
         <aside class=\"side-col\" aria-label=\"Customer and actions\">{panel}{actions}</aside></div>",
        id = c.id.0,
        customer = escape(&customer),
        ch = escape(c.channel_kind.as_str()),
        status = escape(c.status.as_str()),
        priority = priority_badge(c.priority),
        sla = sla_badge(c.sla_due_at),
        due = c
            .sla_due_at
            .map(|d| format!(" (due {})", time_tag(d)))
            .unwrap_or_default(),
        assigned = c
            .assignee_id
            .and_then(|a| agent_names.get(&a))
            .map(|n| escape(n))
            .unwrap_or_else(|| "nobody".into()),
        team = c
            .team_id
            .and_then(|t| teams.iter().find(|x| x.id == t))
            .map(|t| format!(" · team {}", escape(&t.name)))
            .unwrap_or_default(),
    );
    (
        status,
        shell(
            session,
            Section::Inbox,
            &format!("Conversation {}", c.id),
            maud::PreEscaped(main),
        ),
    )
        .into_response()
}

/// The reasons behind each label, strongest first.
pub(super) fn explanation(e: &earshot_core::enrichment::Enrichment) -> String {
    let reasons = |because: &[earshot_core::enrichment::Reason]| {
        if because.is_empty() {
            return "<span class=\"muted\">no single feature stands out</span>".to_string();
        }
        because
            .iter()
            .take(6)
            .map(|r| format!("<code>{}</code> {:+.2}", escape(&r.feature), r.weight))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "<dl><dt>Language</dt><dd>{} ({:.0}%)</dd><dt>Sentiment: {}</dt><dd>{}</dd>",
        escape(&e.language),
        e.language_confidence * 100.0,
        escape(&e.sentiment.label),
        reasons(&e.sentiment.because)
    );
    for i in &e.intents {
        out.push_str(&format!(
            "<dt>{} ({:.0}%)</dt><dd>{}</dd>",
            escape(&i.name.replace('_', " ")),
            i.confidence * 100.0,
            reasons(&i.because)
        ));
    }
    out.push_str(&format!(
        "<dt>Urgency {:.2}</dt><dd>{}</dd></dl>",
        e.urgency.score,
        reasons(&e.urgency.because)
    ));
    out
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
