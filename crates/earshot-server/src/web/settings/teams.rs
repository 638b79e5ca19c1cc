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
    let team_rows = html! {
        @for t in &teams {
            tr {
                td { (t.name) }
                td { (format!("{:?}", t.strategy).to_lowercase()) }
                td { (agents.iter().filter(|a| a.team_id == Some(t.id)).count()) }
            }
        }
    };
    let agent_rows = html! {
        @for a in &agents {
            (agent_row(session, a, &team_choices))
        }
    };
    let team_form = html! {
        label for="t-name" { "Name" }
        input #t-name name="name" required maxlength="200";
        label for="t-strategy" { "Assignment" }
        select #t-strategy name="strategy" {
            option value="least_loaded" { "least loaded" }
            option value="round_robin" { "round robin" }
        }
        button type="submit" { "Add team" }
    };
    let agent_form = html! {
        label for="n-name" { "Name" }
        input #n-name name="name" required maxlength="200";
        label for="n-email" { "Email" }
        input #n-email name="email" type="email" required;
        label for="n-team" { "Team" }
        select #n-team name="team_id" { (options(&team_choices, None)) }
        label for="n-cap" { "Capacity (open conversations at once)" }
        input #n-cap name="capacity" type="number" min="0" max="10000" value="10";
        label for="n-av" { "Availability" }
        select #n-av name="availability" { (availability_options(Availability::Online)) }
        label for="n-lang" { "Languages (e.g. en, es)" }
        input #n-lang name="languages";
        label for="n-ch" { "Channels (e.g. x, email)" }
        input #n-ch name="channels";
        label for="n-top" { "Topics" }
        input #n-top name="topics";
        button type="submit" { "Add agent" }
    };
    let content = html! {
        (table("Teams", &["Team", "Assignment", "Agents"], team_rows))
        (add_form(session, "/settings/teams", "Add a team", "Add a team", team_form))
        div.table-wrap {
            table {
                caption {
                    "Agents: skills (comma-separated languages, channels, topics), capacity and "
                    "availability"
                }
                thead {
                    tr {
                        th scope="col" { "Agent" }
                        th scope="col" colspan="5" { "Settings" }
                    }
                }
                tbody { (agent_rows) }
            }
        }
        (add_form(session, "/settings/agents", "Add an agent", "Add an agent", agent_form))
    };
    (status, settings_page(session, "teams", notice, content)).into_response()
}

fn availability_options(chosen: Availability) -> Markup {
    options(
        &["online", "away", "offline"].map(|a| (a.to_string(), a.to_string())),
        Some(chosen.as_str()),
    )
}

/// An agent's row: the form that changes their team, capacity, availability and skills.
fn agent_row(
    session: &Session,
    a: &earshot_core::Agent,
    team_choices: &[(String, String)],
) -> Markup {
    let id = a.id.0;
    let field = |suffix: &str| format!("a{id}-{suffix}");
    let team = a.team_id.map(|t| t.0.to_string()).unwrap_or_default();
    let channels: Vec<String> = a
        .skills
        .channels
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    html! {
        tr {
            td { (a.name) br; span.muted { (a.email) } }
            td colspan="5" {
                form.inline-form method="post" action={ "/settings/agents/" (id) }
                    aria-label={ "Agent " (a.name) } {
                    (csrf_field(session))
                    label for=(field("team")) { "Team" }
                    select id=(field("team")) name="team_id" {
                        (options(team_choices, Some(&team)))
                    }
                    label for=(field("cap")) { "Capacity" }
                    input id=(field("cap")) name="capacity" type="number" min="0" max="10000"
                        value=(a.capacity);
                    label for=(field("av")) { "Availability" }
                    select id=(field("av")) name="availability" {
                        (availability_options(a.availability))
                    }
                    label for=(field("lang")) { "Languages" }
                    input id=(field("lang")) name="languages"
                        value=(comma_list(&a.skills.languages)) size="8";
                    label for=(field("ch")) { "Channels" }
                    input id=(field("ch")) name="channels" value=(comma_list(&channels)) size="10";
                    label for=(field("top")) { "Topics" }
                    input id=(field("top")) name="topics" value=(comma_list(&a.skills.topics))
                        size="10";
                    button type="submit" { "Save" }
                }
            }
        }
    }
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
