//! Email: RFC 5322 messages (`.eml` files, mbox mailboxes) into `Inbound`, MIME done by
//! mail-parser (multipart/alternative prefers text/plain, HTML converted to text,
//! quoted-printable and base64, charsets, encoded-word headers).
//!
//! Threading follows `In-Reply-To`, then the last of `References`; a mail that names
//! neither continues its sender's open conversation on the mailbox (as every private
//! message does). What the customer wrote is what understanding and the inbox see: quoted
//! history (`> …` lines, `On … wrote:` and the lines after it) and the signature (after
//! `-- `) are trimmed from the text, while the full body, the subject, the recipients and
//! every attachment's name, type and size are kept in `raw`. Mail sent from the mailbox's own
//! address (the account) is the brand's outbound side.

use crate::{Decoded, Location, Reject};
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders as _};
use serde_json::json;
use sha2::{Digest as _, Sha256};

/// One message, or why it is not one. A message the MIME parser itself trips on (it asserts
/// on some malformed multiparts in builds with debug assertions) is a reject, never a panic
/// of the caller.
pub fn decode_message(bytes: &[u8], account: &str) -> Result<Inbound, Reject> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode_parsed(bytes, account)
    }))
    .unwrap_or_else(|_| {
        Err(Reject::new(
            "invalid_email",
            "the MIME structure could not be read (the parser failed on it)",
        ))
    })
}

fn decode_parsed(bytes: &[u8], account: &str) -> Result<Inbound, Reject> {
    let m = MessageParser::default().parse(bytes).ok_or_else(|| {
        Reject::new(
            "invalid_email",
            "not an RFC 5322 message: no headers could be read",
        )
    })?;
    let from = m
        .from()
        .and_then(|a| a.first())
        .and_then(|a| {
            a.address()
                .map(|addr| (addr.trim().to_lowercase(), a.name().map(str::to_string)))
        })
        .filter(|(addr, _)| addr.contains('@'))
        .ok_or_else(|| Reject::new("missing_field", "the message has no `From` address"))?;
    let date = m
        .date()
        .and_then(|d| chrono::DateTime::from_timestamp(d.to_timestamp(), 0))
        .ok_or_else(|| {
            Reject::new(
                "invalid_timestamp",
                "the message has no readable `Date` header",
            )
        })?;
    let external_id = match m.message_id() {
        Some(id) if !id.trim().is_empty() => id.trim().to_string(),
        // No Message-ID: the content names it, so the same mail imported twice is one message.
        _ => format!("sha256:{}", &hex::encode(Sha256::digest(bytes))[..32]),
    };
    let in_reply_to = ids(m.in_reply_to())
        .into_iter()
        .next()
        .or_else(|| ids(m.references()).pop())
        .filter(|p| *p != external_id);
    let subject = m.subject().unwrap_or("").trim().to_string();
    let full = (0..m.text_body_count())
        .filter_map(|i| m.body_text(i))
        .collect::<Vec<_>>()
        .join("\n");
    let said = trim_quotes_and_signature(&full);
    let signature = signature_of(&full);
    let text = match (said.is_empty(), subject.is_empty()) {
        (false, _) => said,
        (true, false) => subject.clone(),
        (true, true) => {
            return Err(Reject::new(
                "empty_field",
                "the message has neither a body nor a subject",
            ))
        }
    };
    let files: Vec<earshot_core::Attachment> = m
        .attachments()
        .map(|a| {
            let ctype = a.content_type().map(|c| match c.subtype() {
                Some(sub) => format!("{}/{sub}", c.ctype()),
                None => c.ctype().to_string(),
            });
            let kind = match ctype.as_deref().and_then(|t| t.split('/').next()) {
                Some(k @ ("image" | "audio" | "video")) => k.to_string(),
                _ => "document".to_string(),
            };
            earshot_core::Attachment {
                kind,
                mime_type: ctype,
                size: Some(a.len() as u64),
                name: a.attachment_name().map(str::to_string),
                ..Default::default()
            }
        })
        .take(earshot_core::inbound::MAX_ATTACHMENTS)
        .collect();
    let attachments: Vec<serde_json::Value> = files
        .iter()
        .map(|a| json!({"name": a.name, "type": a.mime_type, "size": a.size}))
        .collect();
    let addresses = |h: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        h.map(|a| {
            a.iter()
                .filter_map(|x| x.address().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
    };
    let raw = json!({
        "message_id": m.message_id(),
        "subject": subject,
        "from": from.0,
        "to": addresses(m.to()),
        "cc": addresses(m.cc()),
        "in_reply_to": ids(m.in_reply_to()),
        "references": ids(m.references()),
        "body": full,
        "attachments": attachments,
    });
    // Mail the mailbox itself sent is the brand's side of the conversation.
    let direction = if from.0 == account.trim().to_lowercase() {
        Direction::Out
    } else {
        Direction::In
    };
    let inbound = Inbound {
        channel: ChannelKind::Email,
        account: Some(account.to_string()),
        source: ChannelRole::Owned,
        external_id,
        direction,
        visibility: Visibility::Private,
        author: InboundAuthor {
            external_id: from.0.clone(),
            handle: Some(from.0),
            display_name: from.1.filter(|n| !n.trim().is_empty()),
            followers: None,
            verified: false,
            email: None,
            phone: None,
        },
        text: truncate(text, earshot_core::inbound::MAX_TEXT_BYTES),
        created_at: date,
        in_reply_to,
        raw: Some(raw),
        automated: false,
        signature,
        attachments: files,
        url: None,
    };
    inbound.validate()?;
    Ok(inbound)
}

/// Message ids a header names (`In-Reply-To`, `References`), without angle brackets.
fn ids(h: &HeaderValue<'_>) -> Vec<String> {
    match h {
        HeaderValue::Text(t) => vec![t.trim().to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.trim().to_string()).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .map(|s| s.trim_matches(|c| c == '<' || c == '>').to_string())
    .filter(|s| !s.is_empty())
    .collect()
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// What the sender wrote this time: the body without quoted history and signature.
pub fn trim_quotes_and_signature(body: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for line in body.lines() {
        let t = line.trim_end();
        if t == "--" || t == "-- " || line == "-- " {
            break;
        }
        let lower = t.trim().to_lowercase();
        let attribution = (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || lower.starts_with("-----original message-----")
            || (lower.starts_with("le ") && lower.ends_with("a écrit :"));
        if attribution {
            break;
        }
        if t.trim_start().starts_with('>') {
            continue;
        }
        kept.push(t);
    }
    kept.join("\n").trim().to_string()
}

/// The sender's signature: the lines after the `--` separator, up to quoted history or an
/// attribution line, at most 12 lines (`None` when there is none).
pub fn signature_of(body: &str) -> Option<String> {
    let mut lines = body.lines();
    lines.by_ref().find(|l| {
        let t = l.trim_end();
        t == "--" || *l == "-- "
    })?;
    let kept: Vec<&str> = lines
        .take_while(|l| {
            let lower = l.trim().to_lowercase();
            !(l.trim_start().starts_with('>')
                || (lower.starts_with("on ") && lower.ends_with("wrote:"))
                || lower.starts_with("-----original message-----"))
        })
        .take(12)
        .map(str::trim_end)
        .collect();
    let sig = kept.join("\n").trim().to_string();
    (!sig.is_empty()).then_some(sig)
}

/// An `.eml` file: one message.
pub fn decode_eml(bytes: &[u8], account: &str) -> Vec<Decoded> {
    vec![Decoded {
        location: Location::Path("message".into()),
        result: decode_message(bytes, account),
    }]
}

/// An mbox mailbox: each message, located by its position (1-based).
pub fn decode_mbox(bytes: &[u8], account: &str) -> Vec<Decoded> {
    mail_parser::mailbox::mbox::MessageIterator::new(bytes)
        .enumerate()
        .map(|(i, entry)| Decoded {
            location: Location::Path(format!("message {}", i + 1)),
            result: match entry {
                Ok(e) => decode_message(e.contents(), account),
                Err(e) => Err(Reject::new(
                    "invalid_email",
                    format!("the mailbox could not be read here: {e}"),
                )),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &[u8] = b"From: Dana Ruiz <Dana@Example.com>\r\nTo: care@acme.test\r\nSubject: Re: Order A-1042\r\n\
Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <r2@example.com>\r\nIn-Reply-To: <r1@acme.test>\r\n\
References: <r0@example.com> <r1@acme.test>\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Still nothing arrived =E2=80=94 please check.\r\n\r\nOn Mon, Nov 30, 2026 Acme wrote:\r\n> We shipped it.\r\n\
--b\r\nContent-Type: text/html\r\n\r\n<p>Still nothing arrived</p>\r\n--b--\r\n";

    #[test]
    fn a_reply_threads_by_in_reply_to_and_keeps_only_what_is_new() {
        let m = decode_message(REPLY, "care@acme.test").unwrap();
        assert_eq!(m.external_id, "r2@example.com");
        assert_eq!(m.in_reply_to.as_deref(), Some("r1@acme.test"));
        assert_eq!(m.author.external_id, "dana@example.com");
        assert_eq!(m.author.display_name.as_deref(), Some("Dana Ruiz"));
        assert_eq!(m.text, "Still nothing arrived — please check.");
        assert!(m.raw.as_ref().unwrap()["body"]
            .as_str()
            .unwrap()
            .contains("We shipped it"));
        assert_eq!(m.visibility, Visibility::Private);
    }

    #[test]
    fn quotes_and_signatures_are_trimmed() {
        let body = "Thanks!\n\n-- \nDana\nHead of stuff";
        assert_eq!(trim_quotes_and_signature(body), "Thanks!");
        assert_eq!(trim_quotes_and_signature("> old\nnew"), "new");
        assert_eq!(
            signature_of(
                "Thanks!\n-- \nDana Scully\nMobile: +44 7700 900123\n\nOn Mon, Jo wrote:\n> hi"
            )
            .as_deref(),
            Some("Dana Scully\nMobile: +44 7700 900123")
        );
        assert_eq!(signature_of("no separator here"), None);
        assert_eq!(
            trim_quotes_and_signature("Hi\n-----Original Message-----\nold"),
            "Hi"
        );
    }

    #[test]
    fn mail_without_a_sender_or_date_is_rejected_with_the_reason() {
        let e = decode_message(b"Subject: hi\r\n\r\nbody", "x").unwrap_err();
        assert_eq!(e.code, "missing_field");
        let e = decode_message(b"From: a@b.c\r\nSubject: hi\r\n\r\nbody", "x").unwrap_err();
        assert_eq!(e.code, "invalid_timestamp");
    }
}
