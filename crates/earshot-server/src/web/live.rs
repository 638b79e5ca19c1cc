//! `/live`: server-sent events for the signed-in person's workspace. Each `changed` event
//! carries the ids of the conversations updated since the last one (JSON array); the pages'
//! script refreshes the inbox rows or the open conversation.
//!
//! The stream wakes when this process stores a message or changes a conversation
//! (`earshot_engine::live::Changes`), and in any case every [`POLL`], when it asks the store
//! what was updated (the conversations' `updated_at` index), so changes made by other
//! processes and by the timer worker arrive too.

use super::Session;
use crate::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use earshot_core::store::ConversationQuery;
use earshot_core::time::{now, Timestamp};
use earshot_core::{ConversationId, WorkspaceId};
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

pub fn router() -> Router<AppState> {
    Router::new().route("/live", get(live))
}

/// The longest a change made elsewhere takes to show.
const POLL: Duration = Duration::from_secs(3);
/// Writes commit a little after they stamp `updated_at`: look back this far each time, and
/// send a conversation again only when its `updated_at` moved.
const LOOK_BACK: chrono::Duration = chrono::Duration::seconds(10);

struct Watch {
    state: AppState,
    ws: WorkspaceId,
    changes: tokio::sync::broadcast::Receiver<WorkspaceId>,
    /// What was last sent of each recently updated conversation.
    sent: HashMap<ConversationId, Timestamp>,
    started: Timestamp,
}

impl Watch {
    /// Waits for a notice for this workspace or the poll interval, then the conversations
    /// updated since (not sent yet).
    async fn next(&mut self) -> Vec<ConversationId> {
        loop {
            earshot_engine::live::changed_or(&mut self.changes, self.ws, POLL).await;
            let since = (now() - LOOK_BACK).max(self.started);
            let query = ConversationQuery {
                updated_since: Some(since),
                limit: earshot_core::store::MAX_PAGE,
                ..Default::default()
            };
            let Ok(page) = self.state.store.list_conversations(self.ws, &query).await else {
                continue;
            };
            self.sent.retain(|_, at| *at >= since);
            let fresh: Vec<ConversationId> = page
                .items
                .iter()
                .filter(|c| self.sent.get(&c.id) != Some(&c.updated_at))
                .map(|c| c.id)
                .collect();
            for c in &page.items {
                self.sent.insert(c.id, c.updated_at);
            }
            if !fresh.is_empty() {
                return fresh;
            }
        }
    }
}

async fn live(State(state): State<AppState>, session: Session) -> Response {
    let watch = Watch {
        changes: state.pipeline.changes.subscribe(),
        ws: session.user.workspace_id,
        state,
        sent: HashMap::new(),
        started: now(),
    };
    let stream = futures_util::stream::unfold(watch, |mut watch| async move {
        let ids: Vec<i64> = watch.next().await.into_iter().map(|c| c.0).collect();
        let event = Event::default()
            .event("changed")
            .data(serde_json::to_string(&ids).expect("ids serialize"));
        Some((Ok::<_, Infallible>(event), watch))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
