//! Channel adapters: turn what platforms and export files say into [`Inbound`] messages.
//!
//! Each decoder yields one [`Decoded`] per record, in file order: the message, or why the
//! record was rejected, with where it was (a line, or a path inside a JSON document). A bad
//! record never stops the others.

pub mod cursors;
pub mod discourse;
pub mod email;
pub mod feed;
pub mod guard;
pub mod mailbox;
pub mod mastodon;
pub mod mastodon_api;
pub mod mastodon_listen;
pub mod messenger;
pub mod normalized;
pub mod outbound;
pub mod reddit;
pub mod reddit_api;
pub mod reddit_listen;
pub mod secrets;
pub mod send;
pub mod shopify;
pub mod telegram;
pub mod twcs;
pub mod webchat;
pub mod webhook;
pub mod whatsapp;
pub mod x;
pub mod x_activity;
pub mod x_api;
pub mod x_stream;

use earshot_core::Inbound;
use std::fmt;
use std::io::{self, BufRead};
use std::path::Path;
use std::str::FromStr;

/// Import formats `earshot ingest` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Earshot's normalized message format, one JSON object per line.
    Jsonl,
    /// The Customer Support on Twitter (TWCS) CSV export.
    Twcs,
    /// An X API v2 response (tweets or DM events) as one JSON document.
    XV2,
    /// X API v1.1 status objects: one, an array, or search results (`statuses`).
    XV1,
    /// An X Account Activity delivery (`for_user_id` and its events).
    XActivity,
    /// Mastodon entities: statuses, notifications, streaming events.
    Mastodon,
    /// Reddit API listings of submissions, comments and messages.
    Reddit,
    /// A Discourse webhook body (a `post`).
    Discourse,
    /// A WhatsApp Cloud API webhook body.
    Whatsapp,
    /// A Messenger webhook body (or one `entry` or `messaging` item).
    Messenger,
    /// An Instagram messaging webhook body.
    Instagram,
    /// A Telegram `Update`, an array of them, or a `getUpdates` answer.
    Telegram,
    /// One RFC 5322 email (`.eml`).
    Eml,
    /// An mbox mailbox.
    Mbox,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Twcs => "twcs",
            Self::XV2 => "x-v2",
            Self::XV1 => "x-v1",
            Self::XActivity => "x-activity",
            Self::Mastodon => "mastodon",
            Self::Reddit => "reddit",
            Self::Discourse => "discourse",
            Self::Whatsapp => "whatsapp",
            Self::Messenger => "messenger",
            Self::Instagram => "instagram",
            Self::Telegram => "telegram",
            Self::Eml => "eml",
            Self::Mbox => "mbox",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jsonl" | "normalized" => Ok(Self::Jsonl),
            "twcs" | "twcs-csv" => Ok(Self::Twcs),
            "x-v2" | "x" => Ok(Self::XV2),
            "x-v1" | "x-v1.1" => Ok(Self::XV1),
            "x-activity" => Ok(Self::XActivity),
            "mastodon" => Ok(Self::Mastodon),
            "reddit" => Ok(Self::Reddit),
            "discourse" => Ok(Self::Discourse),
            "whatsapp" => Ok(Self::Whatsapp),
            "messenger" => Ok(Self::Messenger),
            "instagram" => Ok(Self::Instagram),
            "telegram" => Ok(Self::Telegram),
            "eml" | "email" => Ok(Self::Eml),
            "mbox" => Ok(Self::Mbox),
            other => Err(format!(
                "unknown format `{other}`; expected jsonl, twcs, x-v2, x-v1, x-activity, mastodon, reddit, discourse, whatsapp, messenger, instagram, telegram, eml or mbox"
            )),
        }
    }
}

/// Guesses the format from the file name and its first bytes.
pub fn detect(path: &Path, head: &[u8]) -> Option<Format> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let text = String::from_utf8_lossy(head);
    let first_line = text.lines().next().unwrap_or("");
    if ext == "csv" || first_line.contains("tweet_id") && first_line.contains("inbound") {
        return first_line.contains("tweet_id").then_some(Format::Twcs);
    }
    if ext == "jsonl" || ext == "ndjson" {
        return Some(Format::Jsonl);
    }
    if ext == "eml" {
        return Some(Format::Eml);
    }
    if ext == "mbox" || ext == "mbx" || first_line.starts_with("From ") {
        return Some(Format::Mbox);
    }
    let trimmed = text.trim_start();
    if let Some(platform) = platform_payload(trimmed) {
        return Some(platform);
    }
    if looks_like_mail(&text) {
        return Some(Format::Eml);
    }
    if let Some(document) = social_document(trimmed) {
        return Some(document);
    }
    if trimmed.starts_with('{') {
        // One object per line (normalized) or one pretty-printed document (X API)?
        let one_line_object = serde_json::from_str::<serde_json::Value>(first_line).is_ok();
        if one_line_object && first_line.contains("\"external_id\"") {
            return Some(Format::Jsonl);
        }
        if trimmed.contains("\"data\"") || trimmed.contains("\"errors\"") {
            return Some(Format::XV2);
        }
        // A document spread over lines is one document, not a file of JSON lines: only a
        // file whose first line is a whole object is read line by line.
        return one_line_object.then_some(Format::Jsonl);
    }
    None
}

/// Mail headers at the top: `Name: value` lines including a `From:` or `Received:` one.
fn looks_like_mail(head: &str) -> bool {
    let mut saw_from = false;
    for line in head.lines().take(40) {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || name.contains(' ') {
            return false;
        }
        saw_from |= name.eq_ignore_ascii_case("from") || name.eq_ignore_ascii_case("received");
    }
    saw_from
}

/// A public network's API document, told by the markers its entities carry (checked on the
/// head of the file, whitespace removed).
fn social_document(head: &str) -> Option<Format> {
    if !(head.starts_with('{') || head.starts_with('[')) {
        return None;
    }
    let c: String = head.chars().filter(|c| !c.is_whitespace()).collect();
    let has = |s: &str| c.contains(s);
    if has("\"for_user_id\":") {
        Some(Format::XActivity)
    } else if has("\"kind\":\"Listing\"") || has("\"kind\":\"t1\"") || has("\"kind\":\"t3\"") {
        Some(Format::Reddit)
    } else if has("\"post\":{")
        && (has("\"post_number\":") || has("\"topic_id\":") || has("\"username\":"))
    {
        Some(Format::Discourse)
    } else if (has("\"event\":") && has("\"payload\":"))
        || has("\"acct\":")
        || (has("\"visibility\":") && has("\"content\":") && has("\"uri\":"))
    {
        Some(Format::Mastodon)
    } else if has("\"id_str\":") || has("\"statuses\":[") {
        Some(Format::XV1)
    } else {
        None
    }
}

/// The text of an HTML fragment (Mastodon's `content`, Discourse's `cooked`): paragraphs and
/// line breaks as new lines, tags dropped, the entities such fragments use decoded.
pub(crate) fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut tag = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split([' ', '/'])
                    .next()
                    .unwrap_or("");
                if name.eq_ignore_ascii_case("br")
                    || (tag.starts_with('/') && name.eq_ignore_ascii_case("p"))
                {
                    out.push('\n');
                }
            }
            c if in_tag => tag.push(c),
            c => out.push(c),
        }
    }
    let text = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.trim().to_string()
}

/// A platform's webhook payload, told by the markers its documents carry.
fn platform_payload(head: &str) -> Option<Format> {
    if !(head.starts_with('{') || head.starts_with('[')) {
        return None;
    }
    let compact: String = head.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.contains("\"object\":\"whatsapp_business_account\"") {
        Some(Format::Whatsapp)
    } else if compact.contains("\"object\":\"instagram\"") {
        Some(Format::Instagram)
    } else if compact.contains("\"object\":\"page\"")
        || compact.contains("\"messaging\":[")
        || (compact.contains("\"sender\":{") && compact.contains("\"mid\":"))
    {
        Some(Format::Messenger)
    } else if compact.contains("\"update_id\":") {
        Some(Format::Telegram)
    } else {
        None
    }
}

/// Where a record was in its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line number (for CSV, the line where the record starts).
    Line(u64),
    /// A JSON path inside a document, e.g. `data[3]`.
    Path(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "line {n}"),
            Self::Path(p) => f.write_str(p),
        }
    }
}

/// Why a record was not accepted: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub code: &'static str,
    pub reason: String,
}

impl Reject {
    pub fn new(code: &'static str, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

impl From<earshot_core::InboundError> for Reject {
    fn from(e: earshot_core::InboundError) -> Self {
        Self {
            code: e.code(),
            reason: e.to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Decoded {
    pub location: Location,
    pub result: Result<Inbound, Reject>,
}

/// Options that adapters need to interpret native payloads.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// The brand's own account on the channel (its X handle, say): messages it authored are
    /// outbound. Also names the channel in the workspace.
    pub account: Option<String>,
}

/// Longest line accepted in line-based formats; a longer one is rejected, not read further.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Decodes `reader` as `format`. Line-based formats stream; an X document is read whole.
pub fn decode<'a, R: BufRead + Send + 'a>(
    reader: R,
    format: Format,
    options: &DecodeOptions,
) -> io::Result<Box<dyn Iterator<Item = Decoded> + Send + 'a>> {
    Ok(match format {
        Format::Jsonl => Box::new(normalized::decode(reader, options.clone())),
        Format::Twcs => Box::new(twcs::decode(reader, options.clone())),
        Format::XV2 => {
            let mut reader = reader;
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            Box::new(x::decode_document(&bytes, options).into_iter())
        }
        Format::XV1 | Format::XActivity | Format::Mastodon | Format::Reddit | Format::Discourse => {
            let mut reader = reader;
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            Box::new(social_file(format, &bytes, options).into_iter())
        }
        Format::Whatsapp | Format::Messenger | Format::Instagram | Format::Telegram => {
            let mut reader = reader;
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            Box::new(webhook::decode_file(format, &bytes, options).into_iter())
        }
        Format::Eml | Format::Mbox => {
            let mut reader = reader;
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            let account = options.account.as_deref().unwrap_or("email");
            Box::new(
                if format == Format::Eml {
                    email::decode_eml(&bytes, account)
                } else {
                    email::decode_mbox(&bytes, account)
                }
                .into_iter(),
            )
        }
    })
}

/// One document of a public network's API, as a file: every message in it, and a reject with
/// the reason for everything else. Documentation examples with `//` comments are read as far
/// as they are JSON once the comments are removed.
fn social_file(format: Format, bytes: &[u8], options: &DecodeOptions) -> Vec<Decoded> {
    let text = String::from_utf8_lossy(bytes);
    let value: serde_json::Value = match serde_json::from_str(&text).or_else(|_| {
        serde_json::from_str(&without_trailing_commas(&webhook::strip_comments(&text)))
    }) {
        Ok(v) => v,
        Err(e) => {
            return vec![Decoded {
                location: Location::Line(e.line() as u64),
                result: Err(Reject::new(
                    "invalid_json",
                    format!("not one valid JSON document, even without comments: {e}"),
                )),
            }]
        }
    };
    let account = options.account.as_deref().unwrap_or("");
    match format {
        Format::XV1 => x_activity::decode_v1_document(&value, account),
        Format::XActivity => {
            webhook::batch_records(x_activity::decode_activity(&value, account), |l| l)
        }
        Format::Mastodon => mastodon::decode_document(&value, account),
        Format::Reddit => reddit::decode_document(&value, account),
        _ => webhook::batch_records(discourse::decode_webhook(&value, account, account), |l| l),
    }
}

/// `text` without the commas before a closing `}` or `]` that abbreviated documentation
/// examples leave behind once their `// ...` lines are removed (strings left alone).
fn without_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = chars[i + 1..].iter().find(|n| !n.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Reads one line (up to and without its `\n`), refusing to keep more than `MAX_LINE_BYTES`.
/// Returns `None` at end of input, `Some(Err(len))` for an over-long line.
pub(crate) fn read_line<R: BufRead>(
    reader: &mut R,
    buf: &mut Vec<u8>,
) -> io::Result<Option<Result<(), usize>>> {
    buf.clear();
    let mut total = 0usize;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if total == 0 {
                None
            } else if total > MAX_LINE_BYTES {
                Some(Err(total))
            } else {
                Some(Ok(()))
            });
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        total += chunk.len();
        if total <= MAX_LINE_BYTES {
            buf.extend_from_slice(chunk);
        }
        let consumed = done.unwrap_or(available.len());
        reader.consume(consumed);
        if done.is_some() {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(if total > MAX_LINE_BYTES {
                Err(total)
            } else {
                Ok(())
            }));
        }
    }
}
