//! Typed ids: a `ConversationId` can't be passed where a `ContactId` is expected.
//! Ids are the database's 64-bit row ids, serialized as plain numbers.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(raw: i64) -> Self {
                Self(raw)
            }
        }
    };
}

typed_id!(/// A tenant.
    WorkspaceId);
typed_id!(/// An owned account or listening source of one channel kind.
    ChannelId);
typed_id!(/// One person across their identities.
    ContactId);
typed_id!(/// A person's account on one channel kind.
    IdentityId);
typed_id!(/// A stored message.
    MessageId);
typed_id!(/// A thread of messages with one customer.
    ConversationId);
typed_id!(/// A group of agents.
    TeamId);
typed_id!(/// A person who answers customers.
    AgentId);
typed_id!(/// A bearer token for the API.
    ApiTokenId);
typed_id!(/// A listening topic.
    TopicId);
