//! Background watchers that wake a poller (a mailbox's IMAP IDLE, a Mastodon account's
//! notification stream): one task per channel, started for the channel as it is, stopped when
//! the channel goes, pauses or changes (a changed one starts again with its new settings).

use earshot_core::connector::ConnectedChannel;
use earshot_core::ChannelId;
use std::collections::HashMap;

#[derive(Default)]
pub(crate) struct Watchers {
    /// Per channel: the channel's `updated_at` when its watcher started, and the task.
    running: HashMap<ChannelId, (earshot_core::time::Timestamp, tokio::task::JoinHandle<()>)>,
}

impl Watchers {
    /// Keeps one watcher per channel of `wanted`: stops the others, and starts one with
    /// `start` where none runs (`None`: the channel cannot be watched now).
    pub(crate) fn keep<'a>(
        &mut self,
        wanted: impl IntoIterator<Item = &'a ConnectedChannel>,
        mut start: impl FnMut(&ConnectedChannel) -> Option<tokio::task::JoinHandle<()>>,
    ) {
        let wanted: Vec<&ConnectedChannel> = wanted.into_iter().collect();
        self.running.retain(|id, (updated_at, task)| {
            let current = wanted
                .iter()
                .any(|c| c.channel.id == *id && c.updated_at == *updated_at);
            if !current {
                task.abort();
            }
            current
        });
        for ch in wanted {
            if self.running.contains_key(&ch.channel.id) {
                continue;
            }
            if let Some(task) = start(ch) {
                self.running.insert(ch.channel.id, (ch.updated_at, task));
            }
        }
    }

    pub(crate) fn stop_all(self) {
        for (_, (_, task)) in self.running {
            task.abort();
        }
    }
}
