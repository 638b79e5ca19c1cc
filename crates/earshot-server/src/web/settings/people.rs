//! Settings: people.

use super::*;

pub(super) async fn people(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::People).await
}

pub(super) async fn render_people(
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
    let rows = html! {
        @for u in &users {
            tr {
                td { (u.name) }
                td { (u.email) }
                td { (u.role) }
                td {
                    (u.agent_id
                        .and_then(|a| agents.iter().find(|x| x.id == a))
                        .map_or("—", |a| a.name.as_str()))
                }
            }
        }
    };
    let mut agent_choices = vec![(String::new(), "not an agent".to_string())];
    agent_choices.extend(
        agents
            .iter()
            .map(|a| (a.id.0.to_string(), format!("{} <{}>", a.name, a.email))),
    );
    let form = html! {
        label for="u-name" { "Name" }
        input #u-name name="name" required maxlength="200";
        label for="u-email" { "Email" }
        input #u-email name="email" type="email" required;
        label for="u-role" { "Role" }
        select #u-role name="role" {
            option value="agent" { "agent" }
            option value="admin" { "admin" }
        }
        label for="u-agent" { "Works as agent" }
        select #u-agent name="agent_id" { (options(&agent_choices, None)) }
        label for="u-password" {
            "Password (10 to 256 characters; tell them, they can't see it here again)"
        }
        input #u-password name="password" type="password" minlength="10" maxlength="256"
            autocomplete="new-password" required;
        button type="submit" { "Add person" }
    };
    let content = html! {
        (table("People who sign in", &["Name", "Email", "Role", "Agent"], rows))
        (add_form(session, "/settings/people", "Add a person", "Add a person", form))
    };
    (status, settings_page(session, "people", notice, content)).into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct UserForm {
    #[serde(default)]
    pub(super) csrf: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) role: String,
    #[serde(default)]
    pub(super) agent_id: String,
    pub(super) password: String,
}

pub(super) async fn create_user(
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
