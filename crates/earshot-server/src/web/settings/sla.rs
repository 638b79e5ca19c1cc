//! Settings: sla policies.

use super::*;

pub(super) const POLICY_EXAMPLE: &str = r#"{"name": "Office hours", "first_response_minutes": 240, "next_response_minutes": 480,
 "warn_at": 0.75,
 "calendar": {"time_zone": "Europe/Berlin",
              "week": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
                       "thu": [["09:00", "17:00"]], "fri": [["09:00", "16:00"]]},
              "holidays": ["2026-12-25", "2026-12-26"]}}"#;

pub(super) async fn sla(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Sla(None)).await
}

pub(super) async fn render_sla(
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
pub(super) struct PolicyForm {
    #[serde(default)]
    pub(super) csrf: String,
    pub(super) policy: String,
}

pub(super) async fn create_policy(
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
        state
            .pipeline
            .admin()
            .create_sla_policy(ws, &draft)
            .await
            .map(|_| ())
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
