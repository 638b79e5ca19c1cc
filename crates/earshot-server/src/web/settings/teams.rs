//! Settings: teams and agents.

use super::*;

pub(super) async fn teams(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Teams).await
}

pub(super) fn comma_list(v: &[String]) -> String {
    v.join(", ")
}

pub(super) fn parse_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_lowercase())
        .filter(|x| !x.is_empty())
        .collect()
}

pub(super) async fn render_teams(
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
pub(super) struct TeamForm {
    #[serde(default)]
    pub(super) csrf: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) strategy: String,
}

pub(super) async fn create_team(
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
        state
            .pipeline
            .admin()
            .create_team(ws, name, Some(strategy))
            .await
            .map(|_| ())
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
pub(super) struct AgentForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) team_id: String,
    #[serde(default)]
    pub(super) capacity: String,
    #[serde(default)]
    pub(super) availability: String,
    #[serde(default)]
    pub(super) languages: String,
    #[serde(default)]
    pub(super) channels: String,
    #[serde(default)]
    pub(super) topics: String,
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

pub(super) async fn create_agent(
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
        Ok(agent) => state
            .pipeline
            .admin()
            .create_agent(ws, &agent)
            .await
            .map(|_| ()),
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

pub(super) async fn update_agent(
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
        Ok(p) => state
            .pipeline
            .admin()
            .update_agent(ws, AgentId(id), &p)
            .await
            .map(|_| ()),
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
