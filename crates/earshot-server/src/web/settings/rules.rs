//! Settings: automation rules.

use super::*;
use earshot_core::workflow::RuleRecord;

pub(super) const RULE_EXAMPLE: &str = r#"{"name": "Angry customers get a tag", "trigger": {"event": "message_received"},
 "conditions": {"all": [{"field": "message.sentiment", "op": "eq", "value": "negative"}]},
 "actions": [{"type": "add_tag", "tag": "angry"}]}"#;

pub(super) async fn rules(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Rules(None)).await
}

/// A stored rule as the JSON its row edits: the rule with its position.
fn editable(r: &RuleRecord) -> String {
    let mut body = serde_json::to_value(&r.rule).unwrap_or_default();
    body["position"] = json!(r.position);
    serde_json::to_string_pretty(&body).unwrap_or_default()
}

pub(super) async fn render_rules(
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
    let rows = html! {
        @for r in &rules {
            tr {
                td { (r.position) }
                td { (r.rule.name) }
                td {
                    details {
                        summary { "Edit" }
                        form method="post" action={ "/settings/rules/" (r.id) }
                            aria-label={ "Edit rule " (r.rule.name) } {
                            (csrf_field(session))
                            label for={ "rule-" (r.id) } { "Rule " (r.id) " (JSON)" }
                            textarea.code id={ "rule-" (r.id) } name="rule" rows="10" required {
                                (editable(r))
                            }
                            button type="submit" { "Save rule " (r.id) }
                        }
                    }
                }
                td { (delete_form(session, &format!("/settings/rules/{}/delete", r.id))) }
            }
        }
    };
    let form = html! {
        label for="rule-json" { "Rule (JSON)" }
        textarea.code #rule-json name="rule" rows="8" required {
            (draft.unwrap_or(RULE_EXAMPLE))
        }
        button type="submit" { "Save rule" }
    };
    let content = html! {
        p {
            "Rules run in order on every event; see the README's "
            em { "Automation rules" }
            " for fields, operators and actions."
        }
        (table("Rules", &["Position", "Name", "Rule", "Delete"], rows))
        (add_form(session, "/settings/rules", "Add a rule", "Add a rule", form))
    };
    (status, settings_page(session, "rules", notice, content)).into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct RuleForm {
    #[serde(default)]
    pub(super) csrf: String,
    pub(super) rule: String,
}

pub(super) async fn create_rule(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<RuleForm>,
) -> Response {
    save_rule(&state, &session, None, &form).await
}

/// A rule changed on its row: the same checks as a new one.
pub(super) async fn update_rule(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<RuleForm>,
) -> Response {
    save_rule(&state, &session, Some(id), &form).await
}

/// Parses the rule, checks that the teams, agents and policies it names exist, saves it (new,
/// or over rule `id`) and reloads the workspace's rules.
pub(super) async fn save_rule(
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
        let (position, draft) = crate::api::rules::validated_rule(state, ws, &body).await?;
        let admin = state.pipeline.admin();
        match id {
            Some(id) => admin.update_rule(ws, id, position, &draft).await?,
            None => admin.create_rule(ws, position, &draft).await?,
        };
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

pub(super) async fn delete_rule(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    match state.pipeline.admin().delete_rule(ws, id).await {
        Ok(()) => done("rules"),
        Err(StoreError::NotFound { .. }) => crate::web::not_found("rule"),
        Err(e) => failed(e),
    }
}
