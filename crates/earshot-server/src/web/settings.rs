//! Settings, for admins: the people who sign in, teams and agents (skills, capacity,
//! availability), listening topics (a query editor that checks the query as you type and
//! previews what it matches among recent messages), automation rules and SLA policies with
//! their business calendars (JSON, validated on save with every problem named), and saved
//! replies. Each change goes through the same store and workflow calls as the API, so the
//! desk, the rules and the listen stage pick it up at once.

use super::{csrf_field, escape, failed, options, shell, Section, Session};
use crate::extract::Form;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use earshot_core::assign::{Availability, Skills};
use earshot_core::{
    AgentId, AgentPatch, ChannelKind, NewAgent, StoreError, TeamId, TopicDraft, TopicId,
};
use serde::Deserialize;
use serde_json::json;

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
        .route("/settings/replies/{id}/delete", post(delete_reply))
}

const TABS: [(&str, &str); 6] = [
    ("people", "People"),
    ("teams", "Teams and agents"),
    ("topics", "Listening topics"),
    ("rules", "Automation rules"),
    ("sla", "SLA policies"),
    ("replies", "Saved replies"),
];

/// A settings page: the tabs, what went wrong (if anything), then the content.
fn settings_page(session: &Session, tab: &str, notice: Option<&str>, content: &str) -> String {
    let tabs: String = TABS
        .iter()
        .map(|(id, label)| {
            format!(
                "<a href=\"/settings/{id}\"{}>{label}</a>",
                if *id == tab {
                    " aria-current=\"page\""
                } else {
                    ""
                }
            )
        })
        .collect();
    let notice = notice
        .map(|n| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(n)))
        .unwrap_or_default();
    let title = TABS
        .iter()
        .find(|t| t.0 == tab)
        .map(|t| t.1)
        .unwrap_or("Settings");
    shell(
        session,
        Section::Settings,
        title,
        &format!(
            "<h1>Settings</h1><nav class=\"views\" aria-label=\"Settings\">{tabs}</nav><h2>{title}</h2>{notice}{content}"
        ),
    )
}

/// A settings form: the admin check, then its CSRF check.
fn admin_form(session: &Session, csrf: &str) -> Result<(), Response> {
    session.require_admin()?;
    session.check(csrf)
}

fn done(tab: &str) -> Response {
    Redirect::to(&format!("/settings/{tab}")).into_response()
}

/// Why a settings change was not made: a reason the admin can act on, or our own failure
/// (logged, already a page).
enum NotDone {
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
enum Tab<'a> {
    People,
    Teams,
    /// The topic's name and query.
    Topics(Option<(&'a str, &'a str)>),
    /// The rule's JSON.
    Rules(Option<&'a str>),
    /// The policy's JSON.
    Sla(Option<&'a str>),
    Replies,
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
        }
    }
}

/// Draws a settings page, with a notice when something was refused.
async fn render(
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
    }
}

/// A page's GET: admins only.
async fn show(state: &AppState, session: &Session, tab: Tab<'_>) -> Response {
    match session.require_admin() {
        Ok(()) => render(state, session, tab, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

/// After a change: back to the page (303), or the page again with why it was not made (422).
async fn finish(
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

async fn settings_home(session: Session) -> Response {
    match session.require_admin() {
        Ok(()) => Redirect::to("/settings/people").into_response(),
        Err(r) => r,
    }
}

// ----- People -----

async fn people(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::People).await
}

async fn render_people(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let ws = session.user.workspace_id;
    let (users, agents) =
        match tokio::try_join!(state.store.list_users(ws), state.store.list_agents(ws)) {
            Ok(x) => x,
            Err(e) => return failed(e),
        };
    let rows: String = users
        .iter()
        .map(|u| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&u.name),
                escape(&u.email),
                escape(&u.role),
                u.agent_id
                    .and_then(|a| agents.iter().find(|x| x.id == a))
                    .map(|a| escape(&a.name))
                    .unwrap_or_else(|| "—".into())
            )
        })
        .collect();
    let mut agent_choices = vec![(String::new(), "not an agent".to_string())];
    agent_choices.extend(
        agents
            .iter()
            .map(|a| (a.id.0.to_string(), format!("{} <{}>", a.name, a.email))),
    );
    let content = format!(
        "<div class=\"table-wrap\"><table><caption>People who sign in</caption><thead><tr><th scope=\"col\">Name</th>\
         <th scope=\"col\">Email</th><th scope=\"col\">Role</th><th scope=\"col\">Agent</th></tr></thead><tbody>{rows}</tbody></table></div>\
         <form method=\"post\" action=\"/settings/people\" class=\"card\" aria-label=\"Add a person\"><h3>Add a person</h3>{}\
         <label for=\"u-name\">Name</label><input id=\"u-name\" name=\"name\" required maxlength=\"200\">\
         <label for=\"u-email\">Email</label><input id=\"u-email\" name=\"email\" type=\"email\" required>\
         <label for=\"u-role\">Role</label><select id=\"u-role\" name=\"role\"><option value=\"agent\">agent</option><option value=\"admin\">admin</option></select>\
         <label for=\"u-agent\">Works as agent</label><select id=\"u-agent\" name=\"agent_id\">{}</select>\
         <label for=\"u-password\">Password (10 to 256 characters; tell them, they can't see it here again)</label>\
         <input id=\"u-password\" name=\"password\" type=\"password\" minlength=\"10\" maxlength=\"256\" autocomplete=\"new-password\" required>\
         <button type=\"submit\">Add person</button></form>",
        csrf_field(session),
        options(&agent_choices, None)
    );
    (
        status,
        Html(settings_page(session, "people", notice, &content)),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    name: String,
    email: String,
    role: String,
    #[serde(default)]
    agent_id: String,
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<UserForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let result = async {
        earshot_core::auth::check_password(&form.password).map_err(StoreError::Invalid)?;
        let agent = match form.agent_id.trim() {
            "" => None,
            a => Some(AgentId(a.parse().map_err(|_| {
                StoreError::Invalid(format!("`{a}` is not an agent id"))
            })?)),
        };
        let hash = earshot_core::auth::hash_password(&form.password);
        state
            .store
            .create_user(
                session.user.workspace_id,
                &form.email,
                &form.name,
                &form.role,
                agent,
                &hash,
            )
            .await
    }
    .await;
    finish(
        &state,
        &session,
        Tab::People,
        result.map(|_| ()).map_err(NotDone::from),
    )
    .await
}

// ----- Teams and agents -----

async fn teams(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Teams).await
}

fn comma_list(v: &[String]) -> String {
    v.join(", ")
}

fn parse_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_lowercase())
        .filter(|x| !x.is_empty())
        .collect()
}

async fn render_teams(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let ws = session.user.workspace_id;
    let (teams, agents) =
        match tokio::try_join!(state.store.list_teams(ws), state.store.list_agents(ws)) {
            Ok(x) => x,
            Err(e) => return failed(e),
        };
    let mut team_choices = vec![(String::new(), "no team".to_string())];
    team_choices.extend(teams.iter().map(|t| (t.id.0.to_string(), t.name.clone())));
    let availability = |chosen: Availability| {
        options(
            &["online", "away", "offline"].map(|a| (a.to_string(), a.to_string())),
            Some(chosen.as_str()),
        )
    };
    let team_rows: String = teams
        .iter()
        .map(|t| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&t.name),
                escape(&format!("{:?}", t.strategy).to_lowercase()),
                agents.iter().filter(|a| a.team_id == Some(t.id)).count()
            )
        })
        .collect();
    let agent_rows: String = agents
        .iter()
        .map(|a| {
            let id = a.id.0;
            let channels: Vec<String> = a.skills.channels.iter().map(|c| c.as_str().to_string()).collect();
            format!(
                "<tr><td>{name}<br><span class=\"muted\">{email}</span></td><td colspan=\"5\">\
                 <form method=\"post\" action=\"/settings/agents/{id}\" class=\"inline-form\" aria-label=\"Agent {name}\">{csrf}\
                 <label for=\"a{id}-team\">Team</label><select id=\"a{id}-team\" name=\"team_id\">{teams}</select>\
                 <label for=\"a{id}-cap\">Capacity</label><input id=\"a{id}-cap\" name=\"capacity\" type=\"number\" min=\"0\" max=\"10000\" value=\"{cap}\">\
                 <label for=\"a{id}-av\">Availability</label><select id=\"a{id}-av\" name=\"availability\">{av}</select>\
                 <label for=\"a{id}-lang\">Languages</label><input id=\"a{id}-lang\" name=\"languages\" value=\"{langs}\" size=\"8\">\
                 <label for=\"a{id}-ch\">Channels</label><input id=\"a{id}-ch\" name=\"channels\" value=\"{chs}\" size=\"10\">\
                 <label for=\"a{id}-top\">Topics</label><input id=\"a{id}-top\" name=\"topics\" value=\"{tops}\" size=\"10\">\
                 <button type=\"submit\">Save</button></form></td></tr>",
                name = escape(&a.name),
                email = escape(&a.email),
                csrf = csrf_field(session),
                teams = options(&team_choices, Some(&a.team_id.map(|t| t.0.to_string()).unwrap_or_default())),
                cap = a.capacity,
                av = availability(a.availability),
                langs = escape(&comma_list(&a.skills.languages)),
                chs = escape(&comma_list(&channels)),
                tops = escape(&comma_list(&a.skills.topics)),
            )
        })
        .collect();
    let content = format!(
        "<div class=\"table-wrap\"><table><caption>Teams</caption><thead><tr><th scope=\"col\">Team</th><th scope=\"col\">Assignment</th>\
         <th scope=\"col\">Agents</th></tr></thead><tbody>{team_rows}</tbody></table></div>\
         <form method=\"post\" action=\"/settings/teams\" class=\"card\" aria-label=\"Add a team\"><h3>Add a team</h3>{csrf}\
         <label for=\"t-name\">Name</label><input id=\"t-name\" name=\"name\" required maxlength=\"200\">\
         <label for=\"t-strategy\">Assignment</label><select id=\"t-strategy\" name=\"strategy\">\
         <option value=\"least_loaded\">least loaded</option><option value=\"round_robin\">round robin</option></select>\
         <button type=\"submit\">Add team</button></form>\
         <div class=\"table-wrap\"><table><caption>Agents: skills (comma-separated languages, channels, topics), capacity and availability</caption>\
         <thead><tr><th scope=\"col\">Agent</th><th scope=\"col\" colspan=\"5\">Settings</th></tr></thead><tbody>{agent_rows}</tbody></table></div>\
         <form method=\"post\" action=\"/settings/agents\" class=\"card\" aria-label=\"Add an agent\"><h3>Add an agent</h3>{csrf}\
         <label for=\"n-name\">Name</label><input id=\"n-name\" name=\"name\" required maxlength=\"200\">\
         <label for=\"n-email\">Email</label><input id=\"n-email\" name=\"email\" type=\"email\" required>\
         <label for=\"n-team\">Team</label><select id=\"n-team\" name=\"team_id\">{teams}</select>\
         <label for=\"n-cap\">Capacity (open conversations at once)</label><input id=\"n-cap\" name=\"capacity\" type=\"number\" min=\"0\" max=\"10000\" value=\"10\">\
         <label for=\"n-av\">Availability</label><select id=\"n-av\" name=\"availability\">{av}</select>\
         <label for=\"n-lang\">Languages (e.g. en, es)</label><input id=\"n-lang\" name=\"languages\">\
         <label for=\"n-ch\">Channels (e.g. x, email)</label><input id=\"n-ch\" name=\"channels\">\
         <label for=\"n-top\">Topics</label><input id=\"n-top\" name=\"topics\">\
         <button type=\"submit\">Add agent</button></form>",
        csrf = csrf_field(session),
        teams = options(&team_choices, None),
        av = availability(Availability::Online),
    );
    (
        status,
        Html(settings_page(session, "teams", notice, &content)),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct TeamForm {
    #[serde(default)]
    csrf: String,
    name: String,
    #[serde(default)]
    strategy: String,
}

async fn create_team(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<TeamForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let strategy: earshot_core::assign::Strategy =
        serde_json::from_value(json!(form.strategy)).unwrap_or_default();
    let name = form.name.trim();
    let result = async {
        if name.is_empty() {
            return Err(StoreError::Invalid("a team needs a name".into()));
        }
        let team = state.store.create_team(ws, name).await?;
        let team = state.store.set_team_strategy(ws, team.id, strategy).await?;
        state.pipeline.workflow.team_changed(ws, &team).await
    }
    .await;
    finish(
        &state,
        &session,
        Tab::Teams,
        result.map(|_| ()).map_err(NotDone::from),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct AgentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    availability: String,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    channels: String,
    #[serde(default)]
    topics: String,
}

impl AgentForm {
    fn team(&self) -> Result<Option<TeamId>, String> {
        match self.team_id.trim() {
            "" => Ok(None),
            t => t
                .parse()
                .map(|t| Some(TeamId(t)))
                .map_err(|_| format!("`{t}` is not a team id")),
        }
    }

    fn capacity(&self) -> Result<u32, String> {
        self.capacity
            .trim()
            .parse()
            .map_err(|_| format!("capacity `{}` is not a whole number", self.capacity))
    }

    fn availability(&self) -> Result<Availability, String> {
        serde_json::from_value(json!(self.availability.trim())).map_err(|_| {
            format!(
                "availability `{}` is not online, away or offline",
                self.availability
            )
        })
    }

    fn skills(&self) -> Result<Skills, String> {
        let channels = parse_list(&self.channels)
            .iter()
            .map(|c| {
                c.parse::<ChannelKind>()
                    .map_err(|_| format!("`{c}` is not a channel"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Skills {
            languages: parse_list(&self.languages),
            channels,
            topics: parse_list(&self.topics),
        })
    }
}

async fn create_agent(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<AgentForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let agent = (|| {
        if form.name.trim().is_empty() || !form.email.contains('@') {
            return Err("an agent needs a name and an email address".to_string());
        }
        Ok(NewAgent {
            name: form.name.trim().to_string(),
            email: form.email.trim().to_string(),
            team_id: form.team()?,
            skills: form.skills()?,
            capacity: form.capacity()?,
            availability: form.availability()?,
        })
    })();
    let result = match agent {
        Ok(agent) => match state.store.create_agent(ws, &agent).await {
            Ok(a) => state.pipeline.workflow.agent_changed(ws, &a).await,
            Err(e) => Err(e),
        },
        Err(m) => Err(StoreError::Invalid(m)),
    };
    finish(
        &state,
        &session,
        Tab::Teams,
        result.map(|_| ()).map_err(NotDone::from),
    )
    .await
}

async fn update_agent(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<AgentForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let patch = (|| {
        Ok::<_, String>(AgentPatch {
            team_id: Some(form.team()?),
            skills: Some(form.skills()?),
            capacity: Some(form.capacity()?),
            availability: Some(form.availability()?),
        })
    })();
    let result = match patch {
        Ok(p) => match state.store.update_agent(ws, AgentId(id), &p).await {
            Ok(a) => state.pipeline.workflow.agent_changed(ws, &a).await,
            Err(e) => Err(e),
        },
        Err(m) => Err(StoreError::Invalid(m)),
    };
    finish(
        &state,
        &session,
        Tab::Teams,
        result.map(|_| ()).map_err(NotDone::from),
    )
    .await
}

// ----- Listening topics -----

async fn topics(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Topics(None)).await
}

async fn render_topics(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    draft: Option<(&str, &str)>,
    status: StatusCode,
) -> Response {
    let topics = match state.store.list_topics(session.user.workspace_id).await {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let rows: String = topics
        .iter()
        .map(|t| {
            format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td><a href=\"/inbox?topic={}\">conversations</a></td>\
                 <td><form method=\"post\" action=\"/settings/topics/{}/delete\">{}<button type=\"submit\" class=\"link\">Delete</button></form></td></tr>",
                escape(&t.name),
                escape(&t.query),
                if t.active { "active" } else { "paused" },
                t.id.0,
                t.id.0,
                csrf_field(session)
            )
        })
        .collect();
    let (name, query) = draft.unwrap_or(("", ""));
    let content = format!(
        "<div class=\"table-wrap\"><table><caption>Topics matched against every inbound message</caption><thead><tr>\
         <th scope=\"col\">Name</th><th scope=\"col\">Query</th><th scope=\"col\">State</th><th scope=\"col\">Inbox</th><th scope=\"col\">Delete</th></tr></thead>\
         <tbody>{rows}</tbody></table></div>\
         <form method=\"post\" action=\"/settings/topics\" class=\"card\" aria-label=\"Add a topic\"><h3>Add a topic</h3>{}\
         <label for=\"topic-name\">Name</label><input id=\"topic-name\" name=\"name\" required maxlength=\"200\" value=\"{}\">\
         <label for=\"topic-query\">Query (e.g. <code>(refund OR \"money back\") NOT spam</code>)</label>\
         <textarea id=\"topic-query\" name=\"query\" rows=\"3\" required data-check=\"/settings/topics/check\" aria-describedby=\"topic-check\">{}</textarea>\
         <p id=\"topic-check\" class=\"check\" role=\"status\" aria-live=\"polite\"></p>\
         <div id=\"topic-preview\" class=\"preview\"></div>\
         <button type=\"submit\">Save topic</button></form>",
        csrf_field(session),
        escape(name),
        escape(query),
    );
    (
        status,
        Html(settings_page(session, "topics", notice, &content)),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct TopicForm {
    #[serde(default)]
    csrf: String,
    name: String,
    query: String,
}

async fn create_topic(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<TopicForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let result = async {
        if let Err(e) = earshot_engine::listen::parse(&form.query) {
            return Err(NotDone::Reason(format!(
                "The query does not parse at column {}: {}",
                e.column, e.message
            )));
        }
        if form.name.trim().is_empty() {
            return Err(NotDone::Reason("A topic needs a name.".into()));
        }
        let draft = TopicDraft {
            name: form.name.trim().to_string(),
            query: form.query.clone(),
            active: true,
        };
        state.store.create_topic(ws, &draft).await?;
        state.pipeline.topics_changed(ws).await?;
        Ok(())
    }
    .await;
    let draft = Some((form.name.as_str(), form.query.as_str()));
    finish(&state, &session, Tab::Topics(draft), result).await
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn delete_topic(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    match state.store.delete_topic(ws, TopicId(id)).await {
        Ok(()) => match state.pipeline.topics_changed(ws).await {
            Ok(()) => done("topics"),
            Err(e) => failed(e),
        },
        Err(StoreError::NotFound { .. }) => super::not_found("topic"),
        Err(e) => failed(e),
    }
}

#[derive(Debug, Deserialize)]
struct CheckParams {
    #[serde(default)]
    query: String,
}

/// The query editor's check as you type: whether the query parses (else where and why), and
/// what it matches among the 1,000 most recent inbound messages.
async fn check_topic(
    State(state): State<AppState>,
    session: Session,
    Query(p): Query<CheckParams>,
) -> Response {
    if let Err(r) = session.require_admin() {
        return r;
    }
    let query = match earshot_engine::listen::parse(&p.query) {
        Ok(q) => q,
        Err(e) => {
            return Json(json!({"ok": false, "column": e.column, "message": e.message}))
                .into_response()
        }
    };
    match crate::api::topics::preview_matches(&state, session.user.workspace_id, &query, 1_000, 5).await {
        Ok(r) => Json(json!({
            "ok": true, "scanned": r.scanned, "matched": r.matched,
            "samples": r.samples.iter().map(|s| json!({"id": s.id, "text": s.text, "channel": s.channel_kind,
                "author": s.author_handle.clone().unwrap_or_else(|| s.author_external_id.clone())})).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => failed(e),
    }
}

// ----- Automation rules -----

const RULE_EXAMPLE: &str = r#"{"name": "Angry customers get a tag", "trigger": {"event": "message_received"},
 "conditions": {"all": [{"field": "message.sentiment", "op": "eq", "value": "negative"}]},
 "actions": [{"type": "add_tag", "tag": "angry"}]}"#;

async fn rules(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Rules(None)).await
}

async fn render_rules(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    draft: Option<&str>,
    status: StatusCode,
) -> Response {
    let rules = match state.store.list_rules(session.user.workspace_id).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let rows: String = rules
        .iter()
        .map(|r| {
            let mut body = serde_json::to_value(&r.rule).unwrap_or_default();
            body["position"] = json!(r.position);
            let body = serde_json::to_string_pretty(&body).unwrap_or_default();
            format!(
                "<tr><td>{pos}</td><td>{name}</td><td><details><summary>Edit</summary>\
                 <form method=\"post\" action=\"/settings/rules/{id}\" aria-label=\"Edit rule {name}\">{csrf}\
                 <label for=\"rule-{id}\">Rule {id} (JSON)</label>\
                 <textarea id=\"rule-{id}\" name=\"rule\" rows=\"10\" class=\"code\" required>{body}</textarea>\
                 <button type=\"submit\">Save rule {id}</button></form></details></td>\
                 <td><form method=\"post\" action=\"/settings/rules/{id}/delete\">{csrf}<button type=\"submit\" class=\"link\">Delete</button></form></td></tr>",
                pos = r.position,
                name = escape(&r.rule.name),
                body = escape(&body),
                id = r.id,
                csrf = csrf_field(session)
            )
        })
        .collect();
    let content = format!(
        "<p>Rules run in order on every event; see the README's <em>Automation rules</em> for fields, operators and actions.</p>\
         <div class=\"table-wrap\"><table><caption>Rules</caption><thead><tr><th scope=\"col\">Position</th><th scope=\"col\">Name</th>\
         <th scope=\"col\">Rule</th><th scope=\"col\">Delete</th></tr></thead><tbody>{rows}</tbody></table></div>\
         <form method=\"post\" action=\"/settings/rules\" class=\"card\" aria-label=\"Add a rule\"><h3>Add a rule</h3>{}\
         <label for=\"rule-json\">Rule (JSON)</label><textarea id=\"rule-json\" name=\"rule\" rows=\"8\" class=\"code\" required>{}</textarea>\
         <button type=\"submit\">Save rule</button></form>",
        csrf_field(session),
        escape(draft.unwrap_or(RULE_EXAMPLE)),
    );
    (
        status,
        Html(settings_page(session, "rules", notice, &content)),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct RuleForm {
    #[serde(default)]
    csrf: String,
    rule: String,
}

async fn create_rule(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<RuleForm>,
) -> Response {
    save_rule(&state, &session, None, &form).await
}

/// A rule changed on its row: the same checks as a new one.
async fn update_rule(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<RuleForm>,
) -> Response {
    save_rule(&state, &session, Some(id), &form).await
}

/// Parses the rule, checks that the teams, agents and policies it names exist, saves it (new,
/// or over rule `id`) and reloads the workspace's rules.
async fn save_rule(
    state: &AppState,
    session: &Session,
    id: Option<i64>,
    form: &RuleForm,
) -> Response {
    if let Err(r) = admin_form(session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let result: Result<(), crate::error::ApiError> = async {
        let body: serde_json::Value = serde_json::from_str(&form.rule)
            .map_err(|e| crate::error::ApiError::Unprocessable(format!("not JSON: {e}")))?;
        let (position, draft) = crate::api::workflow::validated_rule(state, ws, &body).await?;
        match id {
            Some(id) => state.store.update_rule(ws, id, position, &draft).await?,
            None => state.store.create_rule(ws, position, &draft).await?,
        };
        state.pipeline.workflow.reload(ws).await?;
        Ok(())
    }
    .await;
    let result = result.map_err(|e| match (NotDone::from(e), id) {
        (NotDone::Reason(m), Some(id)) => NotDone::Reason(format!("Rule {id} was not saved: {m}")),
        (other, _) => other,
    });
    // A refused new rule comes back in the form to fix; a refused edit shows the stored rule
    // again, with the reason above.
    let draft = id.is_none().then_some(form.rule.as_str());
    finish(state, session, Tab::Rules(draft), result).await
}

async fn delete_rule(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    match state.store.delete_rule(ws, id).await {
        Ok(()) => match state.pipeline.workflow.reload(ws).await {
            Ok(()) => done("rules"),
            Err(e) => failed(e),
        },
        Err(StoreError::NotFound { .. }) => super::not_found("rule"),
        Err(e) => failed(e),
    }
}

// ----- SLA policies -----

const POLICY_EXAMPLE: &str = r#"{"name": "Office hours", "first_response_minutes": 240, "next_response_minutes": 480,
 "warn_at": 0.75,
 "calendar": {"time_zone": "Europe/Berlin",
              "week": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
                       "thu": [["09:00", "17:00"]], "fri": [["09:00", "16:00"]]},
              "holidays": ["2026-12-25", "2026-12-26"]}}"#;

async fn sla(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Sla(None)).await
}

async fn render_sla(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    draft: Option<&str>,
    status: StatusCode,
) -> Response {
    let policies = match state
        .store
        .list_sla_policies(session.user.workspace_id)
        .await
    {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let rows: String = policies
        .iter()
        .map(|p| {
            let d = &p.policy;
            format!(
                "<tr><td>{}</td><td>{}</td><td>{} min</td><td>{} min</td><td>{}</td><td>{}</td></tr>",
                p.id,
                escape(&d.name),
                d.first_response_minutes,
                d.next_response_minutes.unwrap_or(d.first_response_minutes),
                d.resolution_minutes.map(|m| format!("{m} min")).unwrap_or_else(|| "—".into()),
                escape(
                    &d.calendar
                        .as_ref()
                        .map(|c| serde_json::to_string(c).unwrap_or_default())
                        .unwrap_or_else(|| "around the clock (UTC)".into())
                ),
            )
        })
        .collect();
    let content = format!(
        "<p>Out of the box every customer waits at most 24 hours (1 hour when urgent). A policy applies when a rule's \
         <code>apply_sla</code> action names it; its clock runs only in the calendar's business hours.</p>\
         <div class=\"table-wrap\"><table><caption>SLA policies</caption><thead><tr><th scope=\"col\">Id</th><th scope=\"col\">Name</th>\
         <th scope=\"col\">First response</th><th scope=\"col\">Next response</th><th scope=\"col\">Resolution</th><th scope=\"col\">Business calendar</th></tr></thead>\
         <tbody>{rows}</tbody></table></div>\
         <form method=\"post\" action=\"/settings/sla\" class=\"card\" aria-label=\"Add an SLA policy\"><h3>Add a policy</h3>{}\
         <label for=\"policy-json\">Policy with its calendar (JSON)</label><textarea id=\"policy-json\" name=\"policy\" rows=\"9\" class=\"code\" required>{}</textarea>\
         <button type=\"submit\">Save policy</button></form>",
        csrf_field(session),
        escape(draft.unwrap_or(POLICY_EXAMPLE)),
    );
    (
        status,
        Html(settings_page(session, "sla", notice, &content)),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct PolicyForm {
    #[serde(default)]
    csrf: String,
    policy: String,
}

async fn create_policy(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<PolicyForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let result: Result<(), StoreError> = async {
        let draft: earshot_core::sla::PolicyDraft = serde_json::from_str(&form.policy)
            .map_err(|e| StoreError::Invalid(format!("not a policy: {e}")))?;
        draft
            .compile()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        state.store.create_sla_policy(ws, &draft).await?;
        state.pipeline.workflow.reload(ws).await
    }
    .await;
    finish(
        &state,
        &session,
        Tab::Sla(Some(&form.policy)),
        result.map(|_| ()).map_err(NotDone::from),
    )
    .await
}

// ----- Saved replies -----

async fn replies(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Replies).await
}

async fn render_replies(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let saved = match state
        .store
        .list_saved_replies(session.user.workspace_id)
        .await
    {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let rows: String = saved
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}</td><td>{}</td><td><form method=\"post\" action=\"/settings/replies/{}/delete\">{}\
                 <button type=\"submit\" class=\"link\">Delete</button></form></td></tr>",
                escape(&s.name),
                escape(&s.text),
                s.id,
                csrf_field(session)
            )
        })
        .collect();
    let content = format!(
        "<div class=\"table-wrap\"><table><caption>Saved replies agents insert in the reply box</caption><thead><tr>\
         <th scope=\"col\">Name</th><th scope=\"col\">Text</th><th scope=\"col\">Delete</th></tr></thead><tbody>{rows}</tbody></table></div>\
         <form method=\"post\" action=\"/settings/replies\" class=\"card\" aria-label=\"Add a saved reply\"><h3>Add a saved reply</h3>{}\
         <label for=\"r-name\">Name</label><input id=\"r-name\" name=\"name\" required maxlength=\"100\">\
         <label for=\"r-text\">Text</label><textarea id=\"r-text\" name=\"text\" rows=\"3\" required maxlength=\"5000\"></textarea>\
         <button type=\"submit\">Save reply</button></form>",
        csrf_field(session)
    );
    (
        status,
        Html(settings_page(session, "replies", notice, &content)),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct ReplyForm {
    #[serde(default)]
    csrf: String,
    name: String,
    text: String,
}

async fn create_reply(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<ReplyForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let result = state
        .store
        .create_saved_reply(session.user.workspace_id, &form.name, &form.text)
        .await
        .map(|_| ())
        .map_err(NotDone::from);
    finish(&state, &session, Tab::Replies, result).await
}

async fn delete_reply(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    match state
        .store
        .delete_saved_reply(session.user.workspace_id, id)
        .await
    {
        Ok(()) => done("replies"),
        Err(StoreError::NotFound { .. }) => super::not_found("saved reply"),
        Err(e) => failed(e),
    }
}
