//! Strong identifiers: the email addresses and phone numbers that tie a person's identities
//! together across channels, and the rules by which they join contacts deterministically.
//!
//! An identifier is either **verified** (the channel or platform vouches for it: an email
//! channel's sender address, a WhatsApp number, an author's `email`/`phone` profile field set
//! by the platform) or **claimed** (the customer wrote it in one of their own private
//! messages: "you can reach me on +44 7700 900123"). Two contacts join when:
//!
//! - they share a verified identifier (the same address or number, proven twice), or
//! - one claims an identifier the other has verified, and their names do not disagree (the
//!   claim is *confirmed* by the other account actually being that number or address, and a
//!   wife writing her husband's number is not taken for him: "Alice" and "Bob" disagree),
//!
//! and never when it would join two different verified identifiers of one kind (two
//! different emails, two different phones), nor when the identifier points at more than one
//! other contact. What such rules cannot decide is left to the suggestions (an agent's call).

use crate::{ChannelKind, Inbound};
use serde::Serialize;

/// What kind of strong identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    Email,
    Phone,
}

impl IdentifierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "phone" => Some(Self::Phone),
            _ => None,
        }
    }
}

/// One normalized identifier: a lowercase email address, or a phone number as its E.164
/// digits without the `+`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

impl Identifier {
    pub fn email(value: &str) -> Option<Self> {
        normalize_email(value).map(|value| Self {
            kind: IdentifierKind::Email,
            value,
        })
    }

    pub fn phone(value: &str) -> Option<Self> {
        normalize_phone(value).map(|value| Self {
            kind: IdentifierKind::Phone,
            value,
        })
    }

    /// How a person would read it: `+447700900123`, `dana@example.com`.
    pub fn display(&self) -> String {
        match self.kind {
            IdentifierKind::Email => self.value.clone(),
            IdentifierKind::Phone => format!("+{}", self.value),
        }
    }
}

/// An identifier as stored beside an identity, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredIdentifier {
    pub identity_id: crate::IdentityId,
    pub kind: IdentifierKind,
    pub value: String,
    /// The channel or platform vouches for it; `false`: the customer wrote it in a message.
    pub verified: bool,
    /// The message it was written in, for a claimed one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<crate::MessageId>,
    pub created_at: crate::time::Timestamp,
}

/// A lowercase `local@domain.tld`, or `None` when it does not have an address's shape.
pub fn normalize_email(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches("mailto:").to_lowercase();
    let (local, domain) = s.split_once('@')?;
    let ok_local = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "._%+-'".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.');
    let labels: Vec<&str> = domain.split('.').collect();
    let ok_domain = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2);
    (ok_local && ok_domain).then_some(s)
}

/// The E.164 digits of an international number (`+44 7700 900123`, `0044 7700-900123`,
/// `+1 (555) 010-9999`), or of a bare digit string such as a WhatsApp `wa_id`. National
/// numbers without a country code (`07700 900123`) are not accepted: without knowing the
/// country they would match the wrong person.
pub fn normalize_phone(s: &str) -> Option<String> {
    let s = s.trim();
    let rest = if let Some(r) = s.strip_prefix('+') {
        r
    } else if let Some(r) = s.strip_prefix("00") {
        r
    } else if s.chars().all(|c| c.is_ascii_digit()) {
        // A platform's own id (WhatsApp's wa_id) carries the country code without a `+`.
        s
    } else {
        return None;
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || " -.()\u{a0}".contains(c))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    ((8..=15).contains(&digits.len()) && !digits.starts_with('0')).then_some(digits)
}

/// [`normalize_phone`] for a number a person typed (an order's, a form's): only with its
/// country code written (`+` or `00`). Bare digits are a platform's id (a WhatsApp `wa_id`)
/// only; typed by a person they are usually a national number (`2025550143` in the US),
/// which read as international would be someone else's in another country.
pub fn normalize_typed_phone(s: &str) -> Option<String> {
    let t = s.trim();
    if t.starts_with('+') || t.starts_with("00") {
        normalize_phone(t)
    } else {
        None
    }
}

/// The identifiers a channel itself vouches for about a message's author: an email
/// channel's sender address, a WhatsApp number, and the `author.email`/`author.phone`
/// profile fields a platform or the API set.
pub fn verified_of(m: &Inbound) -> Vec<Identifier> {
    let mut out = Vec::new();
    match m.channel {
        ChannelKind::Email => out.extend(Identifier::email(&m.author.external_id)),
        ChannelKind::Whatsapp => out.extend(Identifier::phone(&m.author.external_id)),
        _ => {}
    }
    out.extend(m.author.email.as_deref().and_then(Identifier::email));
    out.extend(m.author.phone.as_deref().and_then(Identifier::phone));
    out.sort();
    out.dedup();
    out
}

/// Most identifiers taken from one message (a pasted list is no signature).
const MAX_CLAIMS_PER_MESSAGE: usize = 4;

/// The email addresses and international phone numbers written in a text, in order of
/// appearance, at most four.
pub fn written_in(text: &str) -> Vec<Identifier> {
    let mut out: Vec<Identifier> = Vec::new();
    let mut push = |id: Identifier| {
        if !out.contains(&id) {
            out.push(id);
        }
    };
    for token in text.split(|c: char| c.is_whitespace() || "<>()[]{},;:\"'".contains(c)) {
        if token.contains('@') {
            let t = token.trim_end_matches(['.', '!', '?']);
            if let Some(id) = Identifier::email(t) {
                push(id);
            }
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = (chars[i] == '+' || (chars[i] == '0' && chars.get(i + 1) == Some(&'0')))
            && (i == 0 || !chars[i - 1].is_alphanumeric())
            && chars
                .get(i + if chars[i] == '+' { 1 } else { 2 })
                .is_some_and(char::is_ascii_digit);
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len()
            && (chars[j].is_ascii_digit() || " -.()".contains(chars[j]))
            && j - i < 24
        {
            j += 1;
        }
        let candidate: String = chars[i..j].iter().collect();
        let candidate = candidate.trim_end_matches([' ', '-', '.', '(', ')']);
        let next_is_digit = chars.get(j).is_some_and(char::is_ascii_digit);
        if !next_is_digit {
            if let Some(id) = Identifier::phone(candidate) {
                push(id);
            }
        }
        i = j.max(i + 1);
    }
    out.truncate(MAX_CLAIMS_PER_MESSAGE);
    out
}

/// Whether two display names could be the same person's: either is unknown, or their first
/// names agree (equal, an initial of the other, or one the start of the other: `Dan` and
/// `Daniel`). `Alice Smith` and `Bob Smith` disagree; `Dana Scully` and `D. Scully` do not.
pub fn names_compatible(a: Option<&str>, b: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (first_name(a), first_name(b)) else {
        return true;
    };
    if a == b {
        return true;
    }
    let (short, long) = if a.chars().count() <= b.chars().count() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let short_len = short.chars().count();
    (short_len == 1 || short_len >= 3) && long.starts_with(short.as_str())
}

fn first_name(name: Option<&str>) -> Option<String> {
    name?
        .split(|c: char| !c.is_alphanumeric())
        .find(|t| !t.is_empty())
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            normalize_email(" Dana@Example.COM ").as_deref(),
            Some("dana@example.com")
        );
        assert_eq!(
            normalize_email("mailto:jo.b+care@shop.co.uk").as_deref(),
            Some("jo.b+care@shop.co.uk")
        );
        for bad in [
            "dana",
            "dana@",
            "@example.com",
            "dana@example",
            "a b@x.com",
            "x@-a.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn phones_need_their_country_code() {
        assert_eq!(
            normalize_phone("+44 7700 900123").as_deref(),
            Some("447700900123")
        );
        assert_eq!(
            normalize_phone("0044 (7700) 900-123").as_deref(),
            Some("447700900123")
        );
        assert_eq!(
            normalize_phone("447700900123").as_deref(),
            Some("447700900123")
        );
        for bad in [
            "07700 900123x",
            "+44 77",
            "+0 123456789",
            "call +44",
            "+1234567890123456",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn identifiers_are_found_in_a_signature() {
        let text = "Thanks for looking into it.\n--\nDana Scully\nMobile: +44 7700 900123\n\
                    Work: dana.scully@fbi.example.gov. Order 12345678, ref 2024-11-03.";
        assert_eq!(
            written_in(text),
            vec![
                Identifier::email("dana.scully@fbi.example.gov").unwrap(),
                Identifier::phone("+447700900123").unwrap(),
            ]
        );
        // Order numbers, dates and prices are no phone numbers; neither is a bare national one.
        assert!(written_in("order 447700900123, 07700 900123, €1200.00 on 2024-11-03").is_empty());
        // A number glued to more digits is not cut short.
        assert!(written_in("+4477009001234567890").is_empty());
    }

    #[test]
    fn first_names_decide_compatibility() {
        assert!(names_compatible(Some("Dana Scully"), Some("dana")));
        assert!(names_compatible(Some("Dana Scully"), Some("D. Scully")));
        assert!(names_compatible(Some("Dan"), Some("Daniel Ortiz")));
        assert!(names_compatible(None, Some("Bob Smith")));
        assert!(!names_compatible(Some("Alice Smith"), Some("Bob Smith")));
        assert!(!names_compatible(Some("Da"), Some("Dana")));
    }
}
