//! The conversation page's actions: reply, note, assign, status, snooze, tags. Each is a form
//! POST checked for its CSRF token and done through the workflow, answered with a redirect
//! back to the page or the page again with why not.

use super::*;

pub(super) fn back(id: i64) -> Response {
    Redirect::to(&format!("/c/{id}")).into_response()
}

/// The signed-in person as the actor of a change: their agent, or the workspace itself.
pub(super) fn actor_of(session: &Session) -> Actor {
    session
        .user
        .agent_id
        .map(Actor::Agent)
        .unwrap_or(Actor::System)
}

/// An action refused for a reason the agent can fix: the page again, with the reason.
pub(super) async fn refused_action(
    state: &AppState,
    session: &Session,
    id: i64,
    status: StatusCode,
    text: String,
    draft: Option<String>,
) -> Response {
    render(
        state,
        session,
        ConversationId(id),
        Some(Notice { text, draft }),
        status,
    )
    .await
}

/// What a store error means for the agent.
pub(super) async fn after_change(
    state: &AppState,
    session: &Session,
    id: i64,
    result: Result<(), earshot_core::StoreError>,
) -> Response {
    use earshot_core::StoreError;
    match result {
        Ok(()) => back(id),
        Err(StoreError::NotFound { .. }) => not_found("conversation"),
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            refused_action(
                state,
                session,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                m,
                None,
            )
            .await
        }
        Err(e) => failed(e),
    }
}

/// What an action form asks of the conversation, or why it can't be done.
type Asked = Result<(ConversationChange, Vec<NewEvent>), String>;

/// An action form: the CSRF check, then the change it asks for through the workflow (rules,
/// desk and SLA clock follow), answered with a redirect to the page or the page with why not.
pub(super) async fn act(
    state: &AppState,
    session: &Session,
    id: i64,
    csrf: &str,
    asked: Asked,
) -> Response {
    if let Err(r) = session.check(csrf) {
        return r;
    }
    let (change, extra) = match asked {
        Ok(c) => c,
        Err(m) => {
            return refused_action(
                state,
                session,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                m,
                None,
            )
            .await
        }
    };
    let result = state
        .pipeline
        .workflow
        .change(
            session.user.workspace_id,
            ConversationId(id),
            change,
            actor_of(session),
            &extra,
        )
        .await
        .map(|_| ());
    after_change(state, session, id, result).await
}

#[derive(Debug, Deserialize)]
pub(super) struct ReplyForm {
    #[serde(default)]
    csrf: String,
    text: String,
    #[serde(default)]
    last_seen_message_id: Option<i64>,
    #[serde(default)]
    force: Option<String>,
}

pub(super) async fn reply(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<ReplyForm>,
) -> Response {
    if let Err(r) = session.check(&form.csrf) {
        return r;
    }
    let Some(agent) = session.user.agent_id else {
        return refused_action(
            &state,
            &session,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Replies are sent by agents, and your account is not linked to an agent.".into(),
            Some(form.text),
        )
        .await;
    };
    match state
        .channels
        .reply_refusal(session.user.workspace_id, ConversationId(id), false)
        .await
    {
        Ok(None) => {}
        Ok(Some(why)) => {
            let text = format!("Not sent: {why}.");
            return refused_action(
                &state,
                &session,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                text,
                Some(form.text),
            )
            .await;
        }
        Err(e) => return crate::web::failed(e),
    }
    use earshot_engine::workflow::ActionError;
    let result = state
        .pipeline
        .workflow
        .reply(
            session.user.workspace_id,
            ConversationId(id),
            agent,
            earshot_engine::workflow::ReplyDraft {
                text: &form.text,
                template: None,
                last_seen: form.last_seen_message_id.filter(|&m| m > 0).map(MessageId),
                force: form.force.is_some(),
            },
        )
        .await;
    match result {
        Ok(_) => back(id),
        Err(ActionError::Collision { .. }) => {
            refused_action(
                &state,
                &session,
                id,
                StatusCode::CONFLICT,
                "Someone answered this customer after you opened the conversation; read their reply below, then send yours again (or tick “send even if…”).".into(),
                Some(form.text),
            )
            .await
        }
        Err(ActionError::Invalid(m)) => {
            refused_action(&state, &session, id, StatusCode::UNPROCESSABLE_ENTITY, m, Some(form.text)).await
        }
        Err(ActionError::Store(e)) => after_change(&state, &session, id, Err(e)).await,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct NoteForm {
    #[serde(default)]
    csrf: String,
    text: String,
}

pub(super) async fn note(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Response {
    let text = form.text.trim();
    let asked = if text.is_empty() || text.chars().count() > 10_000 {
        Err("A note has 1 to 10,000 characters.".into())
    } else {
        let note = NewEvent::new("note", json!({ "text": text }));
        Ok((ConversationChange::default(), vec![note]))
    };
    act(&state, &session, id, &form.csrf, asked).await
}

#[derive(Debug, Deserialize)]
pub(super) struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    agent_id: String,
    #[serde(default)]
    team_id: String,
}

/// An id from a select, `""` for none; another workspace's is refused by the store.
pub(super) fn optional_id(s: &str) -> Result<Option<i64>, String> {
    match s.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| format!("`{v}` is not an id")),
    }
}

pub(super) async fn assign(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> Response {
    let ws: WorkspaceId = session.user.workspace_id;
    let asked = match (optional_id(&form.agent_id), optional_id(&form.team_id)) {
        (Ok(agent), Ok(team)) => {
            let (agent, team) = (agent.map(AgentId), team.map(TeamId));
            // The agent's own team when none is chosen, so a transfer lands on their desk.
            let team = match (team, agent) {
                (Some(t), _) => Some(t),
                (None, Some(a)) => match state.store.list_agents(ws).await {
                    Ok(agents) => agents.iter().find(|x| x.id == a).and_then(|x| x.team_id),
                    Err(e) => return failed(e),
                },
                (None, None) => None,
            };
            let change = ConversationChange {
                assignee: Some(agent),
                team: Some(team),
                ..Default::default()
            };
            Ok((change, Vec::new()))
        }
        (Err(m), _) | (_, Err(m)) => Err(m),
    };
    act(&state, &session, id, &form.csrf, asked).await
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusForm {
    #[serde(default)]
    csrf: String,
    status: String,
}

pub(super) async fn status(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    let asked = match form.status.parse::<ConversationStatus>() {
        Ok(s) if s != ConversationStatus::Snoozed => Ok((
            ConversationChange {
                status: Some(s),
                ..Default::default()
            },
            Vec::new(),
        )),
        _ => Err(format!(
            "`{}` is not a status you can set here",
            form.status
        )),
    };
    act(&state, &session, id, &form.csrf, asked).await
}

#[derive(Debug, Deserialize)]
pub(super) struct SnoozeForm {
    #[serde(default)]
    csrf: String,
    minutes: String,
}

pub(super) async fn snooze(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<SnoozeForm>,
) -> Response {
    let asked = match form.minutes.trim().parse::<i64>() {
        Ok(m) if (1..=60 * 24 * 90).contains(&m) => {
            let until = earshot_core::time::now() + chrono::Duration::minutes(m);
            let change = ConversationChange {
                status: Some(ConversationStatus::Snoozed),
                snoozed_until: Some(Some(until)),
                ..Default::default()
            };
            Ok((change, Vec::new()))
        }
        _ => Err("Snooze for 1 minute to 90 days.".into()),
    };
    act(&state, &session, id, &form.csrf, asked).await
}

#[derive(Debug, Deserialize)]
pub(super) struct TagsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    add: String,
    #[serde(default)]
    remove: String,
}

/// Adds the tag typed in, or removes the one whose × was pressed (the button wins: it names
/// a tag the conversation has).
pub(super) async fn tags(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<TagsForm>,
) -> Response {
    let (add, remove) = (form.add.trim(), form.remove.trim());
    let change = if !remove.is_empty() {
        ConversationChange {
            remove_tags: vec![remove.to_string()],
            ..Default::default()
        }
    } else if !add.is_empty() {
        ConversationChange {
            add_tags: vec![add.to_string()],
            ..Default::default()
        }
    } else {
        return match session.check(&form.csrf) {
            Ok(()) => back(id),
            Err(r) => r,
        };
    };
    act(&state, &session, id, &form.csrf, Ok((change, Vec::new()))).await
}
