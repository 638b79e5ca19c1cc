//! WhatsApp Cloud API: webhook payloads (`whatsapp_business_account` objects with
//! `messages` and `statuses` changes) in, `POST /{version}/{phone_number_id}/messages` out.
//!
//! Every message type becomes text a person can read in the inbox: the text itself, a
//! caption, a button's or list row's title, or a bracketed description of media, locations,
//! contacts and orders (with the platform's media id); the native message is kept as `raw`.
//! Reactions are not messages and are ignored with the reason; an edit arrives as a new
//! message answering the one it edits.

use crate::send::{
    call, graph_failure, window_closed, Accepted, Access, Failure, JsonBody as _, Outgoing,
    GRAPH_VERSION,
};
use crate::webhook::{unix_seconds, Private, WebhookBatch};
use crate::{Decoded, Location, Reject};
use earshot_core::connector::{DeliveryState, StatusReport};
use earshot_core::ChannelKind;
use serde_json::{json, Value};

/// A webhook body (or a file holding one).
pub fn decode_webhook(value: &Value, account: &str) -> WebhookBatch {
    let mut out = WebhookBatch::default();
    if value["object"] != "whatsapp_business_account" {
        out.ignore(
            "object",
            format!("not a WhatsApp payload (object {})", value["object"]),
        );
        return out;
    }
    for (e, entry) in value["entry"].as_array().into_iter().flatten().enumerate() {
        for (c, change) in entry["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("entry[{e}].changes[{c}]");
            if change["field"] != "messages" {
                out.ignore(
                    &at,
                    format!("field {} is not about messages", change["field"]),
                );
                continue;
            }
            change_value(&change["value"], account, &at, &mut out);
        }
    }
    out
}

fn change_value(v: &Value, account: &str, at: &str, out: &mut WebhookBatch) {
    let name_of = |wa_id: &str| {
        v["contacts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["wa_id"] == wa_id)
            .and_then(|c| c["profile"]["name"].as_str())
            .map(str::to_string)
    };
    for (i, m) in v["messages"].as_array().into_iter().flatten().enumerate() {
        let location = Location::Path(format!("{at}.value.messages[{i}]"));
        if m["type"] == "reaction" {
            match (
                m["reaction"]["message_id"].as_str(),
                m["from"].as_str(),
                unix_seconds(&m["timestamp"]),
            ) {
                (Some(target), Some(from), Some(when)) => {
                    out.reactions.push(crate::webhook::Reaction {
                        platform_id: target.to_string(),
                        // WhatsApp sends an empty emoji when the reaction is removed.
                        emoji: m["reaction"]["emoji"]
                            .as_str()
                            .filter(|e| !e.is_empty())
                            .map(str::to_string),
                        author: from.to_string(),
                        at: when,
                    })
                }
                _ => out.ignored.push((
                    location,
                    "a reaction without the message it reacts to, its sender or its time".into(),
                )),
            }
            continue;
        }
        match message(m, account, &name_of) {
            Ok(Some(inbound)) => out.messages.push(Decoded {
                location,
                result: Ok(inbound),
            }),
            Ok(None) => {}
            Err(Skip::Reject(r)) => out.messages.push(Decoded {
                location,
                result: Err(r),
            }),
        }
    }
    for (i, s) in v["statuses"].as_array().into_iter().flatten().enumerate() {
        match status(s) {
            Ok(report) => out.statuses.push(report),
            Err(why) => out.ignore(format!("{at}.value.statuses[{i}]"), why),
        }
    }
    if v["messages"].is_null() && v["statuses"].is_null() {
        if let Some(errors) = v["errors"].as_array() {
            out.ignore(format!("{at}.value.errors"), errors_text(errors));
        }
    }
}

enum Skip {
    Reject(Reject),
}

fn errors_text(errors: &[Value]) -> String {
    errors
        .iter()
        .map(|e| {
            format!(
                "error {}: {}{}",
                e["code"],
                e["title"].as_str().or(e["message"].as_str()).unwrap_or("?"),
                e["error_data"]["details"]
                    .as_str()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn message(
    m: &Value,
    account: &str,
    name_of: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<earshot_core::Inbound>, Skip> {
    let reject = |code, why: String| Skip::Reject(Reject::new(code, why));
    let id = m["id"]
        .as_str()
        .ok_or_else(|| reject("missing_field", "the message has no `id`".into()))?;
    let from = m["from"]
        .as_str()
        .ok_or_else(|| reject("missing_field", "the message has no `from`".into()))?;
    let at = unix_seconds(&m["timestamp"]).ok_or_else(|| {
        reject(
            "invalid_timestamp",
            format!("`timestamp` {} is not unix seconds", m["timestamp"]),
        )
    })?;
    let kind = m["type"].as_str().unwrap_or("");
    let mut in_reply_to = m["context"]["id"].as_str().map(str::to_string);
    let text = match kind {
        "edit" => {
            let edit = &m["edit"];
            in_reply_to = edit["original_message_id"].as_str().map(str::to_string);
            format!("(edited) {}", body(edit["message"]["type"].as_str().unwrap_or(""), &edit["message"]))
        }
        "unsupported" | "" if m["errors"].is_array() || m[kind].is_null() => {
            let errors = m["errors"].as_array().map(|e| errors_text(e)).unwrap_or_default();
            return Err(reject(
                "unsupported_message",
                format!("WhatsApp could not deliver this message's content{}", if errors.is_empty() { String::new() } else { format!(": {errors}") }),
            ));
        }
        k if m[k].is_null() => {
            return Err(reject(
                "unsupported_message",
                format!("a `{k}` message without its `{k}` object (WhatsApp reports errors for such messages in the change's `errors`)"),
            ))
        }
        k => body(k, m),
    };
    let mut text = text;
    if let Some(r) = m["referral"].as_object() {
        let headline = r.get("headline").and_then(Value::as_str).unwrap_or("");
        text = format!("{text}\n[from an ad or post: {headline}]");
    }
    Private {
        channel: ChannelKind::Whatsapp,
        account,
        external_id: id.to_string(),
        author_id: from.to_string(),
        handle: Some(format!("+{from}")),
        name: name_of(from),
        text,
        at,
        in_reply_to,
        raw: m.clone(),
        attachments: attachments(kind, m),
    }
    .build()
    .map(Some)
    .map_err(Skip::Reject)
}

/// What a message of type `kind` carried: media with its type, size and media id, a place,
/// contact cards.
fn attachments(kind: &str, m: &Value) -> Vec<earshot_core::Attachment> {
    let c = &m[kind];
    let s = |v: &Value| v.as_str().map(str::to_string);
    match kind {
        "image" | "video" | "document" | "audio" | "sticker" => vec![earshot_core::Attachment {
            kind: kind.to_string(),
            mime_type: s(&c["mime_type"]),
            size: c["file_size"].as_u64(),
            media_id: s(&c["id"]),
            url: s(&c["url"]),
            name: s(&c["filename"]),
        }],
        "location" => {
            let mut a = earshot_core::Attachment::new("location");
            a.name = Some(match c["name"].as_str() {
                Some(n) => format!("{n} ({}, {})", c["latitude"], c["longitude"]),
                None => format!("{}, {}", c["latitude"], c["longitude"]),
            });
            a.url = s(&c["url"]);
            vec![a]
        }
        "contacts" => c
            .as_array()
            .into_iter()
            .flatten()
            .take(earshot_core::inbound::MAX_ATTACHMENTS)
            .map(|p| {
                let mut a = earshot_core::Attachment::new("contacts");
                a.name = s(&p["name"]["formatted_name"]);
                a
            })
            .collect(),
        "edit" => attachments(c["message"]["type"].as_str().unwrap_or(""), &c["message"]),
        _ => Vec::new(),
    }
}

/// Readable text for a message of type `kind` whose content is `m[kind]`.
fn body(kind: &str, m: &Value) -> String {
    let c = &m[kind];
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    match kind {
        "text" => s(&c["body"]),
        "image" | "video" | "document" | "audio" | "sticker" => {
            let mut parts = vec![format!("[{kind}")];
            if let Some(f) = c["filename"].as_str() {
                parts.push(format!(" {f}"));
            }
            if let Some(mime) = c["mime_type"].as_str() {
                parts.push(format!(", {mime}"));
            }
            if let Some(id) = c["id"].as_str() {
                parts.push(format!(", media {id}"));
            }
            parts.push("]".into());
            let caption = s(&c["caption"]);
            if caption.is_empty() {
                parts.concat()
            } else {
                format!("{caption}\n{}", parts.concat())
            }
        }
        "location" => format!(
            "[location: {}{} ({}, {})]",
            s(&c["name"]),
            c["address"]
                .as_str()
                .map(|a| format!(", {a}"))
                .unwrap_or_default(),
            c["latitude"],
            c["longitude"]
        ),
        "contacts" => {
            let names: Vec<String> = c
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| s(&p["name"]["formatted_name"]))
                .collect();
            format!("[contact card: {}]", names.join(", "))
        }
        "interactive" => {
            let reply = &c[c["type"].as_str().unwrap_or("")];
            let title = s(&reply["title"]);
            if title.is_empty() {
                "[interactive reply]".into()
            } else {
                title
            }
        }
        "button" => s(&c["text"]),
        "order" => {
            let items = c["product_items"].as_array().map(Vec::len).unwrap_or(0);
            let note = s(&c["text"]);
            let lines: Vec<String> = c["product_items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| format!("{} × {}", p["quantity"], s(&p["product_retailer_id"])))
                .collect();
            let order = format!("[order of {items} item(s): {}]", lines.join(", "));
            if note.is_empty() {
                order
            } else {
                format!("{note}\n{order}")
            }
        }
        "system" => format!("[system: {}]", s(&c["body"])),
        other => format!("[{other} message]"),
    }
}

fn status(s: &Value) -> Result<StatusReport, String> {
    let id = s["id"].as_str().ok_or("a status without `id`")?;
    let state = match s["status"].as_str() {
        Some("sent") => DeliveryState::Sent,
        Some("delivered") => DeliveryState::Delivered,
        Some("read") => DeliveryState::Read,
        Some("failed") => DeliveryState::Failed,
        other => {
            return Err(format!(
                "status {other:?} is not a delivery state Earshot tracks"
            ))
        }
    };
    let at = unix_seconds(&s["timestamp"]).ok_or("a status without a unix `timestamp`")?;
    let error = s["errors"]
        .as_array()
        .filter(|e| !e.is_empty())
        .map(|e| errors_text(e));
    Ok(StatusReport {
        platform_id: id.to_string(),
        state,
        at,
        error,
    })
}

/// `POST {api_base}/{version}/{phone_number_id}/messages`, inside the customer-service window.
pub(crate) async fn send(http: &reqwest::Client, access: &Access, out: &Outgoing<'_>) -> Accepted {
    if let Some(why) = window_closed(
        access.connector,
        out.last_inbound_at,
        out.now,
        out.template.is_some(),
    ) {
        return Err(Failure::NotSent(why));
    }
    let mut body = match out.template {
        Some(t) => {
            let parameters: Vec<serde_json::Value> = t
                .parameters
                .iter()
                .map(|p| json!({"type": "text", "text": p}))
                .collect();
            let mut template = json!({"name": t.name, "language": {"code": t.language}});
            if !parameters.is_empty() {
                template["components"] = json!([{"type": "body", "parameters": parameters}]);
            }
            json!({"messaging_product": "whatsapp", "recipient_type": "individual",
                   "to": out.recipient, "type": "template", "template": template})
        }
        None => json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": out.recipient,
            "type": "text",
            "text": {"preview_url": false, "body": out.text},
        }),
    };
    if let Some(id) = out.answering {
        body["context"] = json!({"message_id": id});
    }
    let url = format!(
        "{}/{GRAPH_VERSION}/{}/messages",
        access.api_base(),
        access.get("phone_number_id")
    );
    let (status, answer) = call(
        http.post(&url)
            .bearer_auth(access.get("access_token"))
            .json_body(&body),
        "WhatsApp send",
    )
    .await?;
    if (200..300).contains(&status) {
        return answer["messages"][0]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                Failure::Transient("WhatsApp accepted the call but named no message id".into())
            });
    }
    Err(graph_failure(status, &answer))
}

pub(crate) async fn test(http: &reqwest::Client, access: &Access) -> Result<String, Failure> {
    let url = format!(
        "{}/{GRAPH_VERSION}/{}?fields=id,display_phone_number,verified_name",
        access.api_base(),
        access.get("phone_number_id")
    );
    let (status, answer) = call(
        http.get(&url).bearer_auth(access.get("access_token")),
        "WhatsApp",
    )
    .await?;
    if (200..300).contains(&status) {
        Ok(format!(
            "WhatsApp number {} ({})",
            answer["display_phone_number"].as_str().unwrap_or("?"),
            answer["verified_name"]
                .as_str()
                .unwrap_or("no verified name")
        ))
    } else {
        Err(graph_failure(status, &answer))
    }
}
