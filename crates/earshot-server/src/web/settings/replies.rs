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
    let rows = html! {
        @for s in &saved {
            tr {
                td { (s.name) }
                td { (s.text) }
                td { (delete_form(session, &format!("/settings/replies/{}/delete", s.id))) }
            }
        }
    };
    let form = html! {
        label for="r-name" { "Name" }
        input #r-name name="name" required maxlength="100";
        label for="r-text" { "Text" }
        textarea #r-text name="text" rows="3" required maxlength="5000" {}
        button type="submit" { "Save reply" }
    };
    let caption = "Saved replies agents insert in the reply box";
    let content = html! {
        (table(caption, &["Name", "Text", "Delete"], rows))
        (add_form(session, "/settings/replies", "Add a saved reply", "Add a saved reply", form))
    };
    (status, settings_page(session, "replies", notice, content)).into_response()
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
