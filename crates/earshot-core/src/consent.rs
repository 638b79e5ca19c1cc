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

/// Keywords that stop engagement, with their language, compared after trimming,
/// lowercasing and dropping trailing punctuation. Words that often mean something else in a
/// care inbox ("cancel" an order, "end", "quit") are left out on purpose.
const STOP: &[(&str, &str)] = &[
    ("stop", "en"),
    ("stop all", "en"),
    ("stopall", "en"),
    ("unsubscribe", "en"),
    ("opt out", "en"),
    ("optout", "en"),
    ("arrêt", "fr"),
    ("arret", "fr"),
    ("désabonner", "fr"),
    ("desabonner", "fr"),
    ("baja", "es"),
    ("darme de baja", "es"),
    ("parar", "es"),
    ("sair", "pt"),
    ("descadastrar", "pt"),
    ("disiscrivi", "it"),
    ("stopp", "de"),
    ("abmelden", "de"),
    ("abbestellen", "de"),
    ("afmelden", "nl"),
];

const START: &[(&str, &str)] = &[
    ("start", "en"),
    ("unstop", "en"),
    ("subscribe", "en"),
    ("opt in", "en"),
    ("optin", "en"),
    ("démarrer", "fr"),
    ("demarrer", "fr"),
    ("alta", "es"),
    ("iniciar", "es"),
    ("começar", "pt"),
    ("comecar", "pt"),
    ("iscrivi", "it"),
    ("anmelden", "de"),
    ("aanmelden", "nl"),
];

/// A messaging keyword: whether it grants or withdraws, and the language it was said in
/// (the confirmation answers in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyword {
    pub granted: bool,
    pub language: &'static str,
}

/// A whole message read as a keyword.
pub fn keyword(text: &str) -> Option<Keyword> {
    // Every customer message passes here at ingest: the length test comes before any copy.
    let t = text.trim().trim_end_matches(['.', '!', '?', ' ']);
    if t.len() > 24 {
        return None;
    }
    let t = t.to_lowercase();
    let find = |list: &[(&str, &'static str)]| list.iter().find(|(w, _)| *w == t).map(|(_, l)| *l);
    if let Some(language) = find(STOP) {
        Some(Keyword {
            granted: false,
            language,
        })
    } else {
        find(START).map(|language| Keyword {
            granted: true,
            language,
        })
    }
}

/// What the customer is told once when their keyword changed their consent, in the
/// keyword's language.
pub fn confirmation(k: Keyword) -> &'static str {
    match (k.granted, k.language) {
        (false, "fr") => "Vous ne recevrez plus de messages automatiques, d'enquêtes ni de nouvelles de notre part. Nous répondrons toujours quand vous nous écrirez. Répondez DÉMARRER pour les recevoir à nouveau.",
        (false, "es") => "Ya no recibirá mensajes automáticos, encuestas ni novedades nuestras. Le seguiremos respondiendo siempre que nos escriba. Responda ALTA para volver a recibirlos.",
        (false, "pt") => "Você não receberá mais mensagens automáticas, pesquisas ou novidades nossas. Continuaremos respondendo sempre que nos escrever. Responda COMEÇAR para voltar a recebê-las.",
        (false, "it") => "Non riceverà più messaggi automatici, sondaggi o novità da parte nostra. Le risponderemo sempre quando ci scriverà. Risponda ISCRIVI per riceverli di nuovo.",
        (false, "de") => "Sie erhalten keine automatischen Nachrichten, Umfragen oder Neuigkeiten mehr von uns. Wir antworten weiterhin, wenn Sie uns schreiben. Antworten Sie ANMELDEN, um sie wieder zu erhalten.",
        (false, "nl") => "U ontvangt geen automatische berichten, enquêtes of nieuws meer van ons. We antwoorden nog steeds als u ons schrijft. Antwoord AANMELDEN om ze weer te ontvangen.",
        (false, _) => "You will no longer receive automated messages, surveys or updates from us. We will still answer whenever you write. Reply START to receive them again.",
        (true, "fr") => "Vous recevrez à nouveau nos nouvelles. Répondez ARRÊT à tout moment pour les arrêter.",
        (true, "es") => "Volverá a recibir nuestras novedades. Responda BAJA en cualquier momento para dejar de recibirlas.",
        (true, "pt") => "Você voltará a receber nossas novidades. Responda SAIR a qualquer momento para pará-las.",
        (true, "it") => "Riceverà di nuovo le nostre novità. Risponda DISISCRIVI in qualsiasi momento per interromperle.",
        (true, "de") => "Sie erhalten wieder unsere Neuigkeiten. Antworten Sie jederzeit STOPP, um sie zu beenden.",
        (true, "nl") => "U ontvangt weer ons nieuws. Antwoord AFMELDEN om het op elk moment te stoppen.",
        (true, _) => "You will receive our updates again. Reply STOP at any time to stop them.",
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
        let k = |t: &str| keyword(t).map(|k| (k.granted, k.language));
        assert_eq!(k("STOP"), Some((false, "en")));
        assert_eq!(k("  Stop. "), Some((false, "en")));
        assert_eq!(k("Unsubscribe!"), Some((false, "en")));
        assert_eq!(k("ARRÊT"), Some((false, "fr")));
        assert_eq!(k("start"), Some((true, "en")));
        assert_eq!(k("Abmelden"), Some((false, "de")));
        assert_eq!(k("please stop sending me the wrong parcel"), None);
        assert_eq!(
            k("cancel"),
            None,
            "cancel is an order's word in a care inbox"
        );
        assert_eq!(k(""), None);
    }

    #[test]
    fn the_confirmation_answers_in_the_keywords_language_and_names_the_way_back() {
        let c = |t: &str| confirmation(keyword(t).unwrap());
        assert!(c("STOP").contains("Reply START"));
        assert!(c("ARRÊT").contains("DÉMARRER"));
        assert!(c("BAJA").contains("ALTA"));
        assert!(c("START").contains("STOP"));
        // Every language's way back is itself a keyword of the other kind.
        for (word, _) in STOP.iter().chain(START) {
            let k = keyword(word).unwrap();
            let text = confirmation(k);
            let back = text
                .split_whitespace()
                .map(|w| w.trim_matches(|ch: char| !ch.is_alphanumeric()))
                .find(|w| w.chars().all(|ch| ch.is_uppercase()) && w.chars().count() > 2)
                .unwrap_or_else(|| panic!("{text}"));
            assert_eq!(
                keyword(back).map(|b| b.granted),
                Some(!k.granted),
                "{word}: {back}"
            );
        }
    }
}
