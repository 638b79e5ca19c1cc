//! Settings: automation rules.

use super::*;

pub(super) const RULE_EXAMPLE: &str = r#"{"name": "Angry customers get a tag", "trigger": {"event": "message_received"},
 "conditions": {"all": [{"field": "message.sentiment", "op": "eq", "value": "negative"}]},
 "actions": [{"type": "add_tag", "tag": "angry"}]}"#;

pub(super) async fn rules(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Rules(None)).await
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
