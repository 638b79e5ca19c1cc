//! Settings: the satisfaction survey (CSAT or NPS after a resolution; see
//! `earshot_core::survey`), with the latest answers and what was not sent and why.

use super::*;
use earshot_core::survey::{Scale, Settings, State as SurveyState};

pub(super) async fn surveys(State(state): State<AppState>, session: Session) -> Response {
    show(&state, &session, Tab::Surveys).await
}

pub(super) async fn render_surveys(
    state: &AppState,
    session: &Session,
    notice: Option<&str>,
    status: StatusCode,
) -> Response {
    let ws = session.user.workspace_id;
    let (settings, latest, channels) = match tokio::try_join!(
        state.store.survey_settings(ws),
        state.store.list_surveys(ws, None, None, 20),
        state.store.list_channels(ws),
    ) {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let scale = settings.as_ref().map(|s| s.scale);
    let chosen = |k: ChannelKind| settings.as_ref().is_some_and(|s| s.channels.contains(&k));
    let kinds: Vec<ChannelKind> = {
        let mut k: Vec<ChannelKind> = channels.iter().map(|c| c.kind).collect();
        k.sort_by_key(|k| k.as_str());
        k.dedup();
        k
    };
    let form = html! {
        p {
            @match &settings {
                Some(s) => { "Surveys are on: " (s.scale.as_str().to_uppercase()) ", asked "
                    (s.delay_minutes) " minutes after a conversation is resolved, on "
                    @if s.channels.is_empty() { "every channel" } @else {
                        (s.channels.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))
                    } "." }
                None => { "Surveys are off: nobody is asked." }
            }
        }
        label for="s-scale" { "Scale" }
        select #s-scale name="scale" {
            option value="off" selected[scale.is_none()] { "Off" }
            option value="csat" selected[scale == Some(Scale::Csat)] { "CSAT: 1 to 5" }
            option value="nps" selected[scale == Some(Scale::Nps)] { "NPS: 0 to 10" }
        }
        label for="s-delay" { "Minutes after the resolution" }
        input #s-delay name="delay_minutes" type="number" min="0" max="43200"
            value=(settings.as_ref().map_or(60, |s| s.delay_minutes));
        fieldset {
            legend { "Channels (none ticked: every channel)" }
            @for k in &kinds {
                label { input type="checkbox" name="channels" value=(k.as_str()) checked[chosen(*k)]; " " (k.as_str()) }
            }
        }
        label for="s-question" { "Question (empty: the scale's own)" }
        textarea #s-question name="question" rows="3" maxlength="1000" {
            (settings.as_ref().map(|s| s.question.as_str()).unwrap_or(""))
        }
        p.hint { "Never sent to a customer who declined surveys or opted out; a customer's reply with a score (\"4\", \"4/5\", stars, a face) is recorded as the answer." }
        button type="submit" { "Save" }
    };
    let rows = html! {
        @for s in &latest {
            tr {
                td { a href=(format!("/c/{}", s.conversation_id.0)) { "#" (s.conversation_id.0) } }
                td { (s.scale.as_str().to_uppercase()) }
                td { (match s.state {
                    SurveyState::Scheduled => "scheduled".to_string(),
                    SurveyState::Sent => format!("sent ({})", s.delivery.as_deref().unwrap_or("queued")),
                    SurveyState::NotSent => format!("not sent: {}", s.reason.as_deref().unwrap_or("")),
                    SurveyState::Answered => "answered".to_string(),
                }) }
                td { @if let Some(score) = s.score { (score) } }
                td { (s.comment.as_deref().unwrap_or("")) }
                td { (s.sentiment.as_deref().unwrap_or("")) }
            }
        }
    };
    let content = html! {
        (add_form(session, "/settings/surveys", "Satisfaction survey", "Satisfaction survey", form))
        (table("The latest surveys", &["Conversation", "Scale", "State", "Score", "Comment", "Sentiment"], rows))
    };
    (status, settings_page(session, "surveys", notice, content)).into_response()
}

pub(super) async fn save_surveys(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    if let Err(r) = admin_form(&session, &field("csrf")) {
        return r;
    }
    let result =
        async {
            let scale = field("scale");
            if scale == "off" {
                return Ok(state
                    .store
                    .set_survey_settings(session.user.workspace_id, None)
                    .await?);
            }
            let scale: Scale = scale.parse().map_err(NotDone::Reason)?;
            let delay = field("delay_minutes");
            let delay_minutes = delay.parse().map_err(|_| {
                NotDone::Reason(format!(
                    "Minutes after the resolution: `{delay}` is not a whole number of minutes"
                ))
            })?;
            let mut channels = Vec::new();
            for (_, v) in form.iter().filter(|(k, _)| k == "channels") {
                channels.push(v.parse::<ChannelKind>().map_err(|_| {
                    NotDone::Reason(format!("Channels: `{v}` is not a channel kind"))
                })?);
            }
            let question = field("question");
            let settings = Settings {
                scale,
                delay_minutes,
                channels,
                question: if question.is_empty() {
                    scale.default_question().to_string()
                } else {
                    question
                },
            };
            settings.check().map_err(NotDone::Reason)?;
            Ok(state
                .store
                .set_survey_settings(session.user.workspace_id, Some(&settings))
                .await?)
        }
        .await;
    finish(&state, &session, Tab::Surveys, result).await
}
