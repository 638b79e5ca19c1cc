//! The customer's choices about engagement, kept as a ledger: every change is appended,
//! never overwritten, and the current state (the contact's `opted_out`) follows from it.
//!
//! A message that is only a messaging keyword — `STOP`, `UNSUBSCRIBE`, `START` and their
//! common equivalents in the languages Earshot detects — changes it, the way SMS and
//! WhatsApp users expect: `STOP` withdraws everything but support (updates, marketing,
//! surveys, research: no automated reply, survey or campaign goes to them; an agent may still
//! answer what they write), `START` grants it again.

use crate::time::Timestamp;
use crate::{ChannelKind, ContactId, ConversationId, MessageId};
use serde::Serialize;

/// What a withdrawal takes away and a grant gives back: everything but support.
pub const ENGAGEMENT: &[&str] = &["updates", "marketing", "surveys", "research"];

/// Keywords that stop engagement, compared after trimming, lowercasing and dropping
/// trailing punctuation. Words that often mean something else in a care inbox
/// ("cancel" an order, "end", "quit") are left out on purpose.
const STOP: &[&str] = &[
    "stop",
    "stop all",
    "stopall",
    "unsubscribe",
    "opt out",
    "optout",
    // French, Spanish, Portuguese, Italian, German, Dutch
    "arrêt",
    "arret",
    "désabonner",
    "desabonner",
    "baja",
    "darme de baja",
    "parar",
    "sair",
    "descadastrar",
    "disiscrivi",
    "stopp",
    "abmelden",
    "abbestellen",
    "afmelden",
];

const START: &[&str] = &[
    "start",
    "unstop",
    "subscribe",
    "opt in",
    "optin",
    "démarrer",
    "demarrer",
    "alta",
    "iniciar",
    "começar",
    "comecar",
    "iscrivi",
    "anmelden",
    "aanmelden",
];

/// A whole message read as a keyword: `Some(false)` withdraws, `Some(true)` grants.
pub fn keyword(text: &str) -> Option<bool> {
    let t = text
        .trim()
        .trim_end_matches(['.', '!', '?', ' '])
        .to_lowercase();
    if t.len() > 24 {
        return None;
    }
    if STOP.contains(&t.as_str()) {
        Some(false)
    } else if START.contains(&t.as_str()) {
        Some(true)
    } else {
        None
    }
}

/// One entry of a contact's consent ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsentEvent {
    pub id: i64,
    pub contact_id: ContactId,
    pub purposes: Vec<String>,
    /// The channel it was given on, when it came from a message.
    pub channel: Option<ChannelKind>,
    pub granted: bool,
    pub at: Timestamp,
    /// How: `keyword STOP`, `api`, …
    pub how: String,
    /// The message that said it.
    pub message_id: Option<MessageId>,
}

/// A keyword a stored customer message carried, for the ledger of its conversation's
/// contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentChange {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub channel: ChannelKind,
    pub granted: bool,
    pub how: String,
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_keyword_message_changes_consent() {
        assert_eq!(keyword("STOP"), Some(false));
        assert_eq!(keyword("  Stop. "), Some(false));
        assert_eq!(keyword("Unsubscribe!"), Some(false));
        assert_eq!(keyword("ARRÊT"), Some(false));
        assert_eq!(keyword("start"), Some(true));
        assert_eq!(keyword("please stop sending me the wrong parcel"), None);
        assert_eq!(
            keyword("cancel"),
            None,
            "cancel is an order's word in a care inbox"
        );
        assert_eq!(keyword(""), None);
    }
}
