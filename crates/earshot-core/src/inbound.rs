//! `Inbound`: one message as it enters the pipeline, whatever channel it came from. It is
//! also Earshot's own normalized JSON format (`earshot ingest` JSONL, `POST /api/v1/messages`),
//! documented in the README. Construct one through [`Inbound::from_json`] or check one
//! built by an adapter with [`Inbound::validate`]: both say exactly what is wrong.

use crate::time::Timestamp;
use crate::{Attachment, ChannelKind, ChannelRole, Direction, Visibility};
use serde::{Deserialize, Serialize};

/// Longest accepted message text, in bytes (long emails fit; a runaway payload does not).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Longest accepted platform id or handle, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Most attachments one message may carry.
pub const MAX_ATTACHMENTS: usize = 50;
/// Longest accepted attachment field (a URL, a file name), in bytes.
pub const MAX_ATTACHMENT_FIELD_BYTES: usize = 2048;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inbound {
    pub channel: ChannelKind,
    /// The owned account or listening source on that channel; defaults to the kind's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default)]
    pub source: ChannelRole,
    pub external_id: String,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub visibility: Visibility,
    pub author: InboundAuthor,
    pub text: String,
    /// When the author posted it (RFC 3339).
    pub created_at: Timestamp,
    /// The platform id of the message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// The native payload; when absent, the normalized record itself is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<serde_json::Value>,
    /// An outbound message sent by automation (a rule's acknowledgement, a bot): stored and
    /// shown, but it does not answer the customer: the conversation keeps waiting, its SLA
    /// clock keeps running and response times do not count it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automated: bool,
    /// The sender's signature block, cut from `text` (an email's lines after `--`): kept for
    /// the email addresses and phone numbers it names, which join the author's identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Files, places and cards it carried (their content stays on the platform).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Where the post is on the web (a status's or comment's page, a feed entry's link):
    /// listening's `site:` queries match its host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundAuthor {
    pub external_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u32>,
    #[serde(default)]
    pub verified: bool,
    /// An email address the platform knows for the author (a profile field, a shop's customer
    /// record): a verified identifier that joins the author's identities across channels.
    /// Leave it out for what a person merely typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A phone number the platform knows for the author, with its country code
    /// (`+447700900123`): a verified identifier, like `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Why a record is not a valid message. The `Display` text names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("not valid JSON for a message: {0}")]
    Json(String),
    #[error("`{field}` is empty")]
    Empty { field: &'static str },
    #[error("`{field}` is {len} bytes, longer than the {max}-byte limit")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("`{field}` contains a control character (U+{code:04X})")]
    ControlCharacter { field: &'static str, code: u32 },
    #[error("`in_reply_to` names the message itself")]
    RepliesToItself,
    #[error("{count} attachments, more than the {max} a message may carry")]
    TooManyAttachments { count: usize, max: usize },
    #[error("`{field}` is not {expected}")]
    Malformed {
        field: &'static str,
        expected: &'static str,
    },
}

impl InboundError {
    /// A stable snake_case code for API errors and reject files.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Json(_) => "invalid_json",
            Self::Empty { .. } => "empty_field",
            Self::TooLong { .. } => "field_too_long",
            Self::ControlCharacter { .. } => "control_character",
            Self::RepliesToItself => "replies_to_itself",
            Self::TooManyAttachments { .. } => "too_many_attachments",
            Self::Malformed { .. } => "malformed_field",
        }
    }
}

impl Inbound {
    /// Parses one normalized record and validates it. When the record carries no `raw`, the
    /// record itself becomes the raw payload.
    pub fn from_json(value: serde_json::Value) -> Result<Self, InboundError> {
        let mut inbound: Inbound =
            serde_json::from_value(value.clone()).map_err(|e| InboundError::Json(e.to_string()))?;
        if inbound.raw.is_none() {
            inbound.raw = Some(value);
        }
        inbound.validate()?;
        Ok(inbound)
    }

    /// The account name the message belongs to (the channel's name in the workspace).
    pub fn account_name(&self) -> &str {
        self.account.as_deref().unwrap_or(self.channel.as_str())
    }

    /// Checks what serde can't: non-empty ids and text, sizes, no control characters in ids.
    /// Adapters call this on what they decode so every path enforces the same rules.
    pub fn validate(&self) -> Result<(), InboundError> {
        id_field("external_id", &self.external_id)?;
        id_field("author.external_id", &self.author.external_id)?;
        if let Some(account) = &self.account {
            id_field("account", account)?;
        }
        if let Some(parent) = &self.in_reply_to {
            id_field("in_reply_to", parent)?;
            if parent == &self.external_id {
                return Err(InboundError::RepliesToItself);
            }
        }
        if let Some(handle) = &self.author.handle {
            limit("author.handle", handle, MAX_ID_BYTES)?;
            no_nul("author.handle", handle)?;
        }
        if let Some(name) = &self.author.display_name {
            limit("author.display_name", name, MAX_ID_BYTES)?;
            no_nul("author.display_name", name)?;
        }
        if let Some(email) = &self.author.email {
            limit("author.email", email, MAX_ID_BYTES)?;
            if crate::identifiers::normalize_email(email).is_none() {
                return Err(InboundError::Malformed {
                    field: "author.email",
                    expected: "an email address, like dana@example.com",
                });
            }
        }
        if let Some(phone) = &self.author.phone {
            limit("author.phone", phone, MAX_ID_BYTES)?;
            if crate::identifiers::normalize_phone(phone).is_none() {
                return Err(InboundError::Malformed {
                    field: "author.phone",
                    expected: "a phone number with its country code, like +447700900123",
                });
            }
        }
        if self.text.trim().is_empty() {
            return Err(InboundError::Empty { field: "text" });
        }
        limit("text", &self.text, MAX_TEXT_BYTES)?;
        no_nul("text", &self.text)?;
        if let Some(sig) = &self.signature {
            limit("signature", sig, 4096)?;
            no_nul("signature", sig)?;
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(InboundError::TooManyAttachments {
                count: self.attachments.len(),
                max: MAX_ATTACHMENTS,
            });
        }
        for a in &self.attachments {
            if a.kind.trim().is_empty() {
                return Err(InboundError::Empty {
                    field: "attachments[].kind",
                });
            }
            limit("attachments[].kind", &a.kind, 64)?;
            no_nul("attachments[].kind", &a.kind)?;
            for v in [&a.mime_type, &a.media_id, &a.url, &a.name]
                .into_iter()
                .flatten()
            {
                limit("attachments[]", v, MAX_ATTACHMENT_FIELD_BYTES)?;
                no_nul("attachments[]", v)?;
            }
        }
        Ok(())
    }
}

fn limit(field: &'static str, value: &str, max: usize) -> Result<(), InboundError> {
    if value.len() > max {
        return Err(InboundError::TooLong {
            field,
            len: value.len(),
            max,
        });
    }
    Ok(())
}

/// Text may hold tabs and line breaks, but not NUL: no platform sends it in a message,
/// PostgreSQL cannot store it, and both databases must accept the same messages. The record
/// is rejected (with this reason), not stored altered.
fn no_nul(field: &'static str, value: &str) -> Result<(), InboundError> {
    if value.contains('\0') {
        return Err(InboundError::ControlCharacter { field, code: 0 });
    }
    Ok(())
}

fn id_field(field: &'static str, value: &str) -> Result<(), InboundError> {
    if value.trim().is_empty() {
        return Err(InboundError::Empty { field });
    }
    limit(field, value, MAX_ID_BYTES)?;
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(InboundError::ControlCharacter {
            field,
            code: c as u32,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> serde_json::Value {
        json!({
            "channel": "x",
            "external_id": "1001",
            "author": {"external_id": "u1", "handle": "alice"},
            "text": "my order never arrived",
            "created_at": "2017-10-31T22:10:47Z"
        })
    }

    #[test]
    fn a_minimal_record_gets_defaults_and_keeps_itself_as_raw() {
        let m = Inbound::from_json(valid()).unwrap();
        assert_eq!(m.channel, ChannelKind::X);
        assert_eq!(m.direction, Direction::In);
        assert_eq!(m.visibility, Visibility::Public);
        assert_eq!(m.source, ChannelRole::Owned);
        assert_eq!(m.account_name(), "x");
        assert_eq!(m.raw, Some(valid()));
    }

    #[test]
    fn errors_name_the_field_that_is_wrong() {
        let mut v = valid();
        v["text"] = json!("   ");
        assert_eq!(
            Inbound::from_json(v).unwrap_err().to_string(),
            "`text` is empty"
        );

        let mut v = valid();
        v["author"]["followers"] = json!("many");
        let err = Inbound::from_json(v).unwrap_err().to_string();
        assert!(err.contains("invalid type"), "{err}");

        let mut v = valid();
        v["colour"] = json!("blue");
        let err = Inbound::from_json(v).unwrap_err().to_string();
        assert!(err.contains("unknown field `colour`"), "{err}");

        let mut v = valid();
        v["external_id"] = json!("a\u{0}b");
        assert_eq!(
            Inbound::from_json(v).unwrap_err(),
            InboundError::ControlCharacter {
                field: "external_id",
                code: 0
            }
        );

        for field in ["text", "handle", "display_name"] {
            let mut v = valid();
            if field == "text" {
                v["text"] = json!("a\u{0}b");
            } else {
                v["author"][field] = json!("a\u{0}b");
            }
            let err = Inbound::from_json(v).unwrap_err();
            assert_eq!(err.code(), "control_character");
            assert!(err.to_string().contains(field), "{err}");
        }
        let mut v = valid();
        v["text"] = json!("line one\n\tline two");
        assert!(
            Inbound::from_json(v).is_ok(),
            "tabs and line breaks are text"
        );

        let mut v = valid();
        v["text"] = json!("x".repeat(MAX_TEXT_BYTES + 1));
        assert_eq!(Inbound::from_json(v).unwrap_err().code(), "field_too_long");

        let mut v = valid();
        v["in_reply_to"] = json!("1001");
        assert_eq!(
            Inbound::from_json(v).unwrap_err(),
            InboundError::RepliesToItself
        );

        let mut v = valid();
        v["created_at"] = json!("yesterday");
        assert_eq!(Inbound::from_json(v).unwrap_err().code(), "invalid_json");
    }

    #[test]
    fn missing_required_fields_are_named() {
        let mut v = valid();
        v.as_object_mut().unwrap().remove("author");
        let err = Inbound::from_json(v).unwrap_err().to_string();
        assert!(err.contains("missing field `author`"), "{err}");
    }
}
