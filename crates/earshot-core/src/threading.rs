//! Threading: which conversation each new message belongs to.
//!
//! A reply joins the conversation of the message it answers; a message that answers nothing
//! opens a conversation. Arrival order must not matter, so the planner also looks the other
//! way: a message whose replies arrived before it joins *their* conversation. When one new
//! message links two existing conversations (its parent is in one, a reply to it in another),
//! they are merged into the older one.
//!
//! Private messaging (WhatsApp, Messenger, Telegram DMs) has no reply graph to follow: a
//! customer's private message that answers nothing continues their open conversation on the
//! channel (the newest one not resolved), and their messages of one batch stay together —
//! the way care inboxes keep one conversation per customer and channel until it is resolved.
//!
//! The planner is pure: the store looks up what it needs (which of the batch's parents and
//! children it already holds) and applies the plan in the same transaction.

use crate::ConversationId;
use std::collections::HashMap;

/// One new message, as the planner sees it.
#[derive(Debug, Clone, Copy)]
pub struct ThreadInput<'a> {
    pub external_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    /// For a customer's private message that answers nothing: who wrote it (their id on the
    /// channel), so it continues their open conversation.
    pub session: Option<&'a str>,
}

/// What the store already holds around the batch (all within one channel).
#[derive(Debug, Default, Clone)]
pub struct KnownThreads {
    /// Stored messages the batch replies to: external id → conversation.
    pub parents: HashMap<String, ConversationId>,
    /// Stored replies to the batch's messages: the external id they answer → conversations.
    pub children: HashMap<String, Vec<ConversationId>>,
    /// The open (not resolved) conversation of each session's customer on the channel.
    pub sessions: HashMap<String, ConversationId>,
}

/// Where a new message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Existing(ConversationId),
    /// A conversation to create; messages with the same index share it.
    New(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPlan {
    pub targets: Vec<Target>,
    /// How many new conversations to create (`Target::New(0..new_conversations)`).
    pub new_conversations: usize,
    /// Existing conversations to fold into another: `(from, into)`.
    pub merges: Vec<(ConversationId, ConversationId)>,
    /// For each message: it answers something that is neither stored nor in the batch, so
    /// it waits in a conversation of its own until its parent arrives.
    pub awaiting_parent: Vec<bool>,
}

/// Plans the batch. Messages in `batch` must be distinct by external id (dedupe first).
pub fn plan(batch: &[ThreadInput<'_>], known: &KnownThreads) -> ThreadPlan {
    let n = batch.len();
    let mut uf = UnionFind::new(n);
    let mut conversation_node: HashMap<ConversationId, usize> = HashMap::new();
    let mut node_conversation: Vec<ConversationId> = Vec::new();
    let mut node_of = |c: ConversationId, uf: &mut UnionFind| -> usize {
        *conversation_node.entry(c).or_insert_with(|| {
            node_conversation.push(c);
            uf.push()
        })
    };
    let index: HashMap<&str, usize> = batch
        .iter()
        .enumerate()
        .map(|(i, m)| (m.external_id, i))
        .collect();

    let mut awaiting_parent = vec![false; n];
    let mut session_first: HashMap<&str, usize> = HashMap::new();
    for (i, m) in batch.iter().enumerate() {
        if let (Some(key), None) = (m.session, m.in_reply_to) {
            match session_first.get(key) {
                Some(&j) => uf.union(i, j),
                None => {
                    session_first.insert(key, i);
                    if let Some(&c) = known.sessions.get(key) {
                        let node = node_of(c, &mut uf);
                        uf.union(i, node);
                    }
                }
            }
        }
        if let Some(parent) = m.in_reply_to {
            if let Some(&j) = index.get(parent) {
                uf.union(i, j);
            } else if let Some(&c) = known.parents.get(parent) {
                let node = node_of(c, &mut uf);
                uf.union(i, node);
            } else {
                awaiting_parent[i] = true;
            }
        }
        for &c in known.children.get(m.external_id).into_iter().flatten() {
            let node = node_of(c, &mut uf);
            uf.union(i, node);
        }
    }

    // Each component's survivor is its oldest (smallest id) existing conversation.
    let mut survivor: HashMap<usize, ConversationId> = HashMap::new();
    for (k, &c) in node_conversation.iter().enumerate() {
        let root = uf.find(n + k);
        survivor
            .entry(root)
            .and_modify(|s| *s = (*s).min(c))
            .or_insert(c);
    }
    let mut merges: Vec<(ConversationId, ConversationId)> = node_conversation
        .iter()
        .enumerate()
        .filter_map(|(k, &c)| {
            let into = survivor[&uf.find(n + k)];
            (into != c).then_some((c, into))
        })
        .collect();
    merges.sort();

    let mut new_index: HashMap<usize, usize> = HashMap::new();
    let targets = (0..n)
        .map(|i| {
            let root = uf.find(i);
            match survivor.get(&root) {
                Some(&c) => Target::Existing(c),
                None => {
                    let next = new_index.len();
                    Target::New(*new_index.entry(root).or_insert(next))
                }
            }
        })
        .collect();
    ThreadPlan {
        targets,
        new_conversations: new_index.len(),
        merges,
        awaiting_parent,
    }
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }
    fn push(&mut self) -> usize {
        self.parent.push(self.parent.len());
        self.parent.len() - 1
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(id: &'a str, parent: Option<&'a str>) -> ThreadInput<'a> {
        ThreadInput {
            external_id: id,
            in_reply_to: parent,
            session: None,
        }
    }

    fn private<'a>(id: &'a str, author: &'a str) -> ThreadInput<'a> {
        ThreadInput {
            session: Some(author),
            ..input(id, None)
        }
    }

    #[test]
    fn private_messages_continue_the_customers_open_conversation() {
        let mut known = KnownThreads::default();
        known.sessions.insert("dana".into(), ConversationId(3));
        let batch = [
            private("a", "dana"),
            private("b", "tom"),
            private("c", "tom"),
            private("d", "dana"),
            // A reply follows what it answers, not the session.
            ThreadInput {
                session: Some("dana"),
                ..input("e", Some("b"))
            },
        ];
        let p = plan(&batch, &known);
        let dana = Target::Existing(ConversationId(3));
        assert_eq!((p.targets[0], p.targets[3]), (dana, dana));
        assert_eq!(p.targets[1], p.targets[2]);
        assert_eq!(p.targets[4], p.targets[1]);
        assert_eq!(p.new_conversations, 1);
    }

    #[test]
    fn a_thread_inside_one_batch_shares_one_new_conversation() {
        let batch = [
            input("3", Some("2")),
            input("1", None),
            input("2", Some("1")),
            input("9", None),
        ];
        let p = plan(&batch, &KnownThreads::default());
        assert_eq!(p.new_conversations, 2);
        assert_eq!(p.targets[0], p.targets[1]);
        assert_eq!(p.targets[1], p.targets[2]);
        assert_ne!(p.targets[0], p.targets[3]);
        assert_eq!(p.awaiting_parent, vec![false; 4]);
    }

    #[test]
    fn a_reply_joins_its_stored_parent() {
        let mut known = KnownThreads::default();
        known.parents.insert("1".into(), ConversationId(7));
        let p = plan(&[input("2", Some("1"))], &known);
        assert_eq!(p.targets, vec![Target::Existing(ConversationId(7))]);
        assert_eq!(p.new_conversations, 0);
    }

    #[test]
    fn a_parent_arriving_after_its_reply_joins_the_reply() {
        let mut known = KnownThreads::default();
        known.children.insert("1".into(), vec![ConversationId(4)]);
        let p = plan(&[input("1", None)], &known);
        assert_eq!(p.targets, vec![Target::Existing(ConversationId(4))]);
    }

    #[test]
    fn a_missing_link_merges_two_conversations_into_the_older() {
        let mut known = KnownThreads::default();
        known.parents.insert("1".into(), ConversationId(9));
        known.children.insert("2".into(), vec![ConversationId(5)]);
        let p = plan(&[input("2", Some("1"))], &known);
        assert_eq!(p.targets, vec![Target::Existing(ConversationId(5))]);
        assert_eq!(p.merges, vec![(ConversationId(9), ConversationId(5))]);
    }

    #[test]
    fn a_reply_to_an_unknown_message_waits_in_its_own_conversation() {
        let p = plan(&[input("2", Some("404"))], &KnownThreads::default());
        assert_eq!(p.targets, vec![Target::New(0)]);
        assert_eq!(p.awaiting_parent, vec![true]);
    }
}
