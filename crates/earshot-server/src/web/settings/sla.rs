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
    let rows = html! {
        @for p in &policies {
            @let d = &p.policy;
            tr {
                td { (p.id) }
                td { (d.name) }
                td { (d.first_response_minutes) " min" }
                td { (d.next_response_minutes.unwrap_or(d.first_response_minutes)) " min" }
                td {
                    @match d.resolution_minutes {
                        Some(m) => { (m) " min" },
                        None => "—",
                    }
                }
                td {
                    @match &d.calendar {
                        Some(c) => (serde_json::to_string(c).unwrap_or_default()),
                        None => "around the clock (UTC)",
                    }
                }
            }
        }
    };
    let columns = [
        "Id",
        "Name",
        "First response",
        "Next response",
        "Resolution",
        "Business calendar",
    ];
    let form = html! {
        label for="policy-json" { "Policy with its calendar (JSON)" }
        textarea.code #policy-json name="policy" rows="9" required {
            (draft.unwrap_or(POLICY_EXAMPLE))
        }
        button type="submit" { "Save policy" }
    };
    let content = html! {
        p {
            "Out of the box every customer waits at most 24 hours (1 hour when urgent). A policy "
            "applies when a rule's " code { "apply_sla" } " action names it; its clock runs "
            "only in the calendar's business hours."
        }
        (table("SLA policies", &columns, rows))
        (add_form(session, "/settings/sla", "Add an SLA policy", "Add a policy", form))
    };
    (status, settings_page(session, "sla", notice, content)).into_response()
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
