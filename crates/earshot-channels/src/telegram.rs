//! Telegram bots: `Update` objects in (messages, edits, button presses; the rest ignored with
//! the reason), `sendMessage` out, `setWebhook`/`deleteWebhook` when a channel is connected
//! or removed.
//!
//! A message's platform id is `<chat id>:<message id>` (Telegram numbers messages per chat),
//! so a reply knows the chat it goes to and the message it answers.

use crate::send::{call, Accepted, Access, Failure, JsonBody as _, Outgoing};
use crate::webhook::{unix_seconds, Private, WebhookBatch};
use crate::{Decoded, Location, Reject};
use earshot_core::ChannelKind;
use serde_json::{json, Value};

pub fn decode_update(u: &Value, account: &str) -> WebhookBatch {
    let mut out = WebhookBatch::default();
    let at = format!("update {}", u["update_id"]);
    if let Some(m) = u.get("message").or_else(|| u.get("business_message")) {
        let result = message(m, account, false);
        out.messages.push(Decoded {
            location: Location::Path(at),
            result,
        });
    } else if let Some(m) = u
        .get("edited_message")
        .or_else(|| u.get("edited_business_message"))
    {
        let result = message(m, account, true);
        out.messages.push(Decoded {
            location: Location::Path(at),
            result,
        });
    } else if let Some(q) = u.get("callback_query") {
        let result = callback(q, u, account);
        out.messages.push(Decoded {
            location: Location::Path(at),
            result,
        });
    } else {
        let kind = u
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .find(|k| *k != "update_id")
            .unwrap_or("empty");
        out.ignore(at, format!("a `{kind}` update is not a customer message"));
    }
    out
}

fn platform_id(chat: &Value, message_id: &Value) -> Option<String> {
    Some(format!("{}:{}", chat["id"].as_i64()?, message_id.as_i64()?))
}

fn message(m: &Value, account: &str, edited: bool) -> Result<earshot_core::Inbound, Reject> {
    let id = platform_id(&m["chat"], &m["message_id"]).ok_or_else(|| {
        Reject::new(
            "missing_field",
            "the message has no `chat.id` and `message_id`",
        )
    })?;
    let from = m
        .get("from")
        .filter(|f| f.is_object())
        .unwrap_or(&m["chat"]);
    let author = from["id"]
        .as_i64()
        .ok_or_else(|| Reject::new("missing_field", "the message has no sender id"))?;
    let at = unix_seconds(if edited {
        m.get("edit_date").unwrap_or(&m["date"])
    } else {
        &m["date"]
    })
    .ok_or_else(|| Reject::new("invalid_timestamp", "the message has no unix `date`"))?;
    let mut text = body(m);
    let mut in_reply_to = m["reply_to_message"]
        .get("message_id")
        .and_then(|r| platform_id(&m["chat"], r));
    let external_id = if edited {
        text = format!("(edited) {text}");
        in_reply_to = Some(id.clone());
        format!("{id}:edit:{}", m["edit_date"])
    } else {
        id
    };
    let name = [from["first_name"].as_str(), from["last_name"].as_str()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Private {
        channel: ChannelKind::Telegram,
        account,
        external_id,
        author_id: author.to_string(),
        handle: from["username"].as_str().map(|u| format!("@{u}")),
        name: (!name.is_empty()).then_some(name),
        text,
        at,
        in_reply_to,
        raw: m.clone(),
        attachments: attachments(m),
    }
    .build()
}

/// The Telegram media kinds, with how a message's text names them.
const MEDIA: [(&str, &str); 8] = [
    ("photo", "photo"),
    ("video", "video"),
    ("voice", "voice message"),
    ("audio", "audio"),
    ("document", "document"),
    ("sticker", "sticker"),
    ("animation", "animation"),
    ("video_note", "video message"),
];

/// The file of a media message (a photo's largest size).
fn media_file(m: &Value, kind: &str) -> Value {
    if kind == "photo" {
        m[kind]
            .as_array()
            .and_then(|a| a.last())
            .cloned()
            .unwrap_or_default()
    } else {
        m[kind].clone()
    }
}

/// What a message carried: its media (type, size, `file_id`), a place or a contact.
fn attachments(m: &Value) -> Vec<earshot_core::Attachment> {
    let mut out = Vec::new();
    if let Some((kind, _)) = MEDIA.into_iter().find(|(k, _)| !m[*k].is_null()) {
        let file = media_file(m, kind);
        out.push(earshot_core::Attachment {
            kind: kind.to_string(),
            mime_type: file["mime_type"].as_str().map(str::to_string),
            size: file["file_size"].as_u64(),
            media_id: file["file_id"].as_str().map(str::to_string),
            name: file["file_name"].as_str().map(str::to_string),
            url: None,
        });
    }
    if let Some(l) = m.get("location").filter(|l| l.is_object()) {
        let mut a = earshot_core::Attachment::new("location");
        a.name = Some(format!("{}, {}", l["latitude"], l["longitude"]));
        out.push(a);
    }
    if let Some(c) = m.get("contact").filter(|c| c.is_object()) {
        let mut a = earshot_core::Attachment::new("contacts");
        a.name = c["first_name"].as_str().map(str::to_string);
        out.push(a);
    }
    out
}

fn body(m: &Value) -> String {
    let s = |v: &Value| v.as_str().map(str::to_string);
    if let Some(t) = s(&m["text"]) {
        return t;
    }
    let caption = s(&m["caption"]);
    let media = MEDIA.into_iter().find(|(k, _)| !m[*k].is_null());
    let described = if let Some((k, label)) = media {
        let file = media_file(m, k);
        let mut d = format!("[{label}");
        if let Some(e) = file["emoji"].as_str() {
            d.push_str(&format!(" {e}"));
        }
        if let Some(n) = file["file_name"].as_str() {
            d.push_str(&format!(" {n}"));
        }
        if let Some(size) = file["file_size"].as_i64() {
            d.push_str(&format!(", {size} bytes"));
        }
        if let Some(id) = file["file_id"].as_str() {
            d.push_str(&format!(", file {id}"));
        }
        d.push(']');
        d
    } else if let Some(d) = m.get("dice") {
        format!(
            "[dice {} rolled {}]",
            d["emoji"].as_str().unwrap_or("🎲"),
            d["value"]
        )
    } else if let Some(l) = m.get("location") {
        format!("[location {}, {}]", l["latitude"], l["longitude"])
    } else if let Some(c) = m.get("contact") {
        format!(
            "[contact card: {} {}]",
            c["first_name"].as_str().unwrap_or(""),
            c["phone_number"].as_str().unwrap_or("")
        )
    } else if let Some(st) = m.get("story") {
        format!(
            "[shared a story from {}]",
            st["chat"]["title"]
                .as_str()
                .or(st["chat"]["username"].as_str())
                .unwrap_or("a chat")
        )
    } else if let Some(p) = m.get("pinned_message") {
        format!("[pinned a message: {}]", p["text"].as_str().unwrap_or("…"))
    } else if m.get("poll").is_some() {
        format!("[poll: {}]", m["poll"]["question"].as_str().unwrap_or(""))
    } else {
        "[a message Earshot shows only as raw data]".to_string()
    };
    match caption {
        Some(c) => format!("{c}\n{described}"),
        None => described,
    }
}

fn callback(q: &Value, u: &Value, account: &str) -> Result<earshot_core::Inbound, Reject> {
    let from = &q["from"];
    let author = from["id"]
        .as_i64()
        .ok_or_else(|| Reject::new("missing_field", "the button press has no `from.id`"))?;
    let chat = &q["message"]["chat"];
    let answering = platform_id(chat, &q["message"]["message_id"]);
    let at = unix_seconds(&q["message"]["date"]).ok_or_else(|| {
        Reject::new(
            "invalid_timestamp",
            "the button press's message has no `date`",
        )
    })?;
    Private {
        channel: ChannelKind::Telegram,
        account,
        external_id: format!(
            "callback:{}",
            q["id"].as_str().unwrap_or(&u["update_id"].to_string())
        ),
        author_id: author.to_string(),
        handle: from["username"].as_str().map(|u| format!("@{u}")),
        name: from["first_name"].as_str().map(str::to_string),
        text: format!("[pressed] {}", q["data"].as_str().unwrap_or("a button")),
        at,
        in_reply_to: answering,
        raw: q.clone(),
        attachments: Vec::new(),
    }
    .build()
}

fn api(access: &Access, method: &str) -> String {
    format!(
        "{}/bot{}/{method}",
        access.api_base(),
        access.get("bot_token")
    )
}

/// Sorts a Bot API answer (`{"ok": false, "error_code", "description"}`).
fn failure(status: u16, answer: &Value) -> Failure {
    let code = answer["error_code"].as_i64().unwrap_or(i64::from(status));
    let text = format!(
        "HTTP {status}, Telegram error {code}: {}",
        answer["description"].as_str().unwrap_or("no description")
    );
    match code {
        401 | 404 => Failure::Reauth(text),
        429 => Failure::Transient(text),
        c if c >= 500 => Failure::Transient(text),
        _ => Failure::Rejected(text),
    }
}

/// `sendMessage` to the chat of the message it answers, replying to it.
pub(crate) async fn send(http: &reqwest::Client, access: &Access, out: &Outgoing<'_>) -> Accepted {
    if out.template.is_some() {
        return Err(Failure::NotSent(
            "message templates are WhatsApp's; Telegram replies are free text".into(),
        ));
    }
    let answering = out.answering.unwrap_or(out.recipient);
    let mut parts = answering.split(':');
    let chat: i64 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| Failure::NotSent(format!("`{answering}` does not name a Telegram chat")))?;
    let mut body = json!({"chat_id": chat, "text": out.text});
    if let Some(message) = parts.next().and_then(|m| m.parse::<i64>().ok()) {
        body["reply_parameters"] =
            json!({"message_id": message, "allow_sending_without_reply": true});
    }
    let (status, answer) = call(
        http.post(api(access, "sendMessage")).json_body(&body),
        "Telegram sendMessage",
    )
    .await?;
    if answer["ok"] == true {
        return platform_id(&answer["result"]["chat"], &answer["result"]["message_id"]).ok_or_else(
            || Failure::Transient("Telegram accepted the message but named no message id".into()),
        );
    }
    Err(failure(status, &answer))
}

pub(crate) async fn test(http: &reqwest::Client, access: &Access) -> Result<String, Failure> {
    let (status, answer) = call(http.get(api(access, "getMe")), "Telegram getMe").await?;
    if answer["ok"] == true {
        Ok(format!(
            "bot @{}",
            answer["result"]["username"].as_str().unwrap_or("?")
        ))
    } else {
        Err(failure(status, &answer))
    }
}

/// `setWebhook` with the channel's URL and secret token.
pub async fn set_webhook(
    http: &reqwest::Client,
    access: &Access,
    url: &str,
) -> Result<(), Failure> {
    let body = json!({
        "url": url,
        "secret_token": access.get("secret_token"),
        "allowed_updates": ["message", "edited_message", "callback_query", "business_message", "edited_business_message"],
    });
    let (status, answer) = call(
        http.post(api(access, "setWebhook")).json_body(&body),
        "Telegram setWebhook",
    )
    .await?;
    if answer["ok"] == true {
        Ok(())
    } else {
        Err(failure(status, &answer))
    }
}

pub async fn delete_webhook(http: &reqwest::Client, access: &Access) -> Result<(), Failure> {
    let (status, answer) = call(
        http.post(api(access, "deleteWebhook"))
            .json_body(&json!({})),
        "Telegram deleteWebhook",
    )
    .await?;
    if answer["ok"] == true {
        Ok(())
    } else {
        Err(failure(status, &answer))
    }
}
