//! Settings: listening topics.

use super::*;

pub(super) async fn topics(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Topics(None)).await
}

pub(super) async fn render_topics(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    draft: Option<(&str, &str)>,
    status: StatusCode,
) -> Response {
    let topics = match state.store.list_topics(session.user.workspace_id).await {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let rows = html! {
        @for t in &topics {
            tr {
                td { (t.name) }
                td { code { (t.query) } }
                td { @if t.active { "active" } @else { "paused" } }
                td { a href={ "/inbox?topic=" (t.id.0) } { "conversations" } }
                td { (delete_form(session, &format!("/settings/topics/{}/delete", t.id.0))) }
            }
        }
    };
    let (name, query) = draft.unwrap_or(("", ""));
    let form = html! {
        label for="topic-name" { "Name" }
        input #topic-name name="name" required maxlength="200" value=(name);
        label for="topic-query" {
            "Query (e.g. " code { "(refund OR \"money back\") NOT spam" } ")"
        }
        textarea #topic-query name="query" rows="3" required data-check="/settings/topics/check"
            aria-describedby="topic-check" { (query) }
        p #topic-check.check role="status" aria-live="polite" {}
        #topic-preview.preview {}
        button type="submit" { "Save topic" }
    };
    let caption = "Topics matched against every inbound message";
    let columns = ["Name", "Query", "State", "Inbox", "Delete"];
    let content = html! {
        (table(caption, &columns, rows))
        (add_form(session, "/settings/topics", "Add a topic", "Add a topic", form))
    };
    (status, settings_page(session, "topics", notice, content)).into_response()
}

#[derive(Debug, Deserialize)]
pub(super) struct TopicForm {
    #[serde(default)]
    pub(super) csrf: String,
    pub(super) name: String,
    pub(super) query: String,
}

pub(super) async fn create_topic(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<TopicForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let result = async {
        if let Err(e) = earshot_engine::listen::parse(&form.query) {
            return Err(NotDone::Reason(format!(
                "The query does not parse at column {}: {}",
                e.column, e.message
            )));
        }
        if form.name.trim().is_empty() {
            return Err(NotDone::Reason("A topic needs a name.".into()));
        }
        let draft = TopicDraft {
            name: form.name.trim().to_string(),
            query: form.query.clone(),
            active: true,
        };
        state.pipeline.admin().create_topic(ws, &draft).await?;
        Ok(())
    }
    .await;
    let draft = Some((form.name.as_str(), form.query.as_str()));
    finish(&state, &session, Tab::Topics(draft), result).await
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
}

pub(super) async fn delete_topic(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = admin_form(&session, &form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    match state.pipeline.admin().delete_topic(ws, TopicId(id)).await {
        Ok(()) => done("topics"),
        Err(StoreError::NotFound { .. }) => crate::web::not_found("topic"),
        Err(e) => failed(e),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct CheckParams {
    #[serde(default)]
    pub(super) query: String,
}

/// The query editor's check as you type: whether the query parses (else where and why), and
/// what it matches among the 1,000 most recent inbound messages.
pub(super) async fn check_topic(
    State(state): State<AppState>,
    session: Session,
    Query(p): Query<CheckParams>,
) -> Response {
    if let Err(r) = session.require_admin() {
        return r;
    }
    let query = match earshot_engine::listen::parse(&p.query) {
        Ok(q) => q,
        Err(e) => {
            return Json(json!({"ok": false, "column": e.column, "message": e.message}))
                .into_response()
        }
    };
    match crate::api::topics::preview_matches(&state, session.user.workspace_id, &query, 1_000, 5).await {
        Ok(r) => Json(json!({
            "ok": true, "scanned": r.scanned, "matched": r.matched, "complete": r.complete,
            "samples": r.samples.iter().map(|s| json!({"id": s.id, "text": s.text, "channel": s.channel_kind,
                "author": s.author_handle.clone().unwrap_or_else(|| s.author_external_id.clone())})).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => failed(e),
    }
}
