//! Live updates: which workspaces just changed, for the web inbox's server-sent events.
//!
//! Anything in this process that stores a message or changes a conversation (the pipeline,
//! agents' actions) says so here, and every open inbox of that workspace refreshes at once.
//! Changes made by other processes (an `earshot worker`, another API server) are not seen
//! here; the web's event stream also polls the store for recently updated conversations, so
//! they arrive within its poll interval.

use earshot_core::WorkspaceId;
use tokio::sync::broadcast;

/// A lagging listener loses the oldest notices, never blocks a writer; a notice only says
/// "look again", so a lost one costs nothing but a refresh that the next notice brings.
const BUFFER: usize = 256;

pub struct Changes {
    sender: broadcast::Sender<WorkspaceId>,
}

impl Default for Changes {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BUFFER).0,
        }
    }
}

impl Changes {
    /// Something in the workspace changed (no listener is fine).
    pub fn notify(&self, ws: WorkspaceId) {
        let _ = self.sender.send(ws);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<WorkspaceId> {
        self.sender.subscribe()
    }
}

/// Waits until `changes` says workspace `ws` changed (a lagging receiver counts: it may have
/// missed one), or `poll` passed — whichever comes first; live views then look again.
pub async fn changed_or(
    changes: &mut broadcast::Receiver<WorkspaceId>,
    ws: WorkspaceId,
    poll: std::time::Duration,
) {
    let wait = tokio::time::sleep(poll);
    tokio::pin!(wait);
    loop {
        tokio::select! {
            _ = &mut wait => return,
            got = changes.recv() => match got {
                Ok(w) if w != ws => continue,
                Err(broadcast::error::RecvError::Closed) => return (&mut wait).await,
                _ => return,
            }
        }
    }
}
