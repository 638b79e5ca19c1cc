//! Settings: saved replies.

use super::*;

pub(super) async fn replies(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Replies).await
}

pub(super) async fn render_replies(
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
pub(super) struct ReplyForm {
    #[serde(default)]
    pub(super) csrf: String,
    pub(super) name: String,
    pub(super) text: String,
}

pub(super) async fn create_reply(
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

pub(super) async fn delete_reply(
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
        Err(StoreError::NotFound { .. }) => crate::web::not_found("saved reply"),
        Err(e) => failed(e),
    }
}
