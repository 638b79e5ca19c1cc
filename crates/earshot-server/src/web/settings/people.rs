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
