//! Messenger and Instagram messaging: `page` and `instagram` webhook objects (`entry[].messaging[]`
//! items: messages with text, attachments, quick replies and replies, echoes of the brand's
//! own messages, deliveries, reads, reactions, deletions) in, the Send API out.
//!
//! The decoder also reads one `entry` or one `messaging` item on its own (how the platforms'
//! documentation shows them), so such files import too.

use crate::send::{
    call, graph_failure, hours_since, window_closed, Accepted, Access, Failure, JsonBody as _,
    Outgoing, GRAPH_VERSION,
};
use crate::webhook::{unix_millis, Private, WebhookBatch};
use crate::{Decoded, Location, Reject};
use earshot_core::connector::{Connector, DeliveryState, StatusReport};
use serde_json::{json, Value};

pub fn decode_webhook(value: &Value, account: &str, connector: Connector) -> WebhookBatch {
    let mut out = WebhookBatch::default();
    let kind = connector.channel_kind();
    if value["messaging"].is_array() {
        entry(value, "", account, kind, &mut out);
    } else if value["sender"].is_object() {
        item(value, "", account, kind, &mut out);
    } else {
        match value["object"].as_str() {
            Some("page") | Some("instagram") => {}
            _ => {
                out.ignore(
                    "object",
                    format!(
                        "not a Messenger or Instagram payload (object {})",
                        value["object"]
                    ),
                );
                return out;
            }
        }
        for (e, en) in value["entry"].as_array().into_iter().flatten().enumerate() {
            entry(en, &format!("entry[{e}]."), account, kind, &mut out);
            for (c, change) in en["changes"].as_array().into_iter().flatten().enumerate() {
                let at = format!("entry[{e}].changes[{c}]");
                if connector == Connector::Instagram && change["field"] == "comments" {
                    let result = comment(&change["value"], en, account);
                    out.messages.push(Decoded {
                        location: Location::Path(at),
                        result,
                    });
                } else {
                    out.ignore(
                        at,
                        format!(
                            "a `{}` change is not read (Instagram comments and messaging are)",
                            change["field"].as_str().unwrap_or("?")
                        ),
                    );
                }
            }
        }
    }
    out
}

/// An Instagram comment on the brand's media: a public message answering the media (or the
/// comment it replies to), answered in public through `/{comment-id}/replies`.
fn comment(v: &Value, en: &Value, account: &str) -> Result<earshot_core::Inbound, Reject> {
    let id = v["id"]
        .as_str()
        .ok_or_else(|| Reject::new("missing_field", "the comment has no `id`"))?;
    let from = v["from"]["id"]
        .as_str()
        .ok_or_else(|| Reject::new("missing_field", "the comment has no `from.id`"))?;
    // Meta sends entry times in seconds for changes and in milliseconds for messaging.
    let at = match en["time"].as_i64() {
        Some(t) if t > 100_000_000_000 => unix_millis(&en["time"]),
        _ => crate::webhook::unix_seconds(&en["time"]),
    }
    .ok_or_else(|| Reject::new("invalid_timestamp", "the entry has no `time`"))?;
    let parent = v["parent_id"]
        .as_str()
        .or(v["media"]["id"].as_str())
        .map(str::to_string);
    let inbound = earshot_core::Inbound {
        channel: earshot_core::ChannelKind::Instagram,
        account: Some(account.to_string()),
        source: earshot_core::ChannelRole::Owned,
        external_id: id.to_string(),
        direction: earshot_core::Direction::In,
        visibility: earshot_core::Visibility::Public,
        author: earshot_core::InboundAuthor {
            external_id: from.to_string(),
            handle: v["from"]["username"].as_str().map(|u| format!("@{u}")),
            display_name: None,
            followers: None,
            verified: false,
            email: None,
            phone: None,
        },
        text: v["text"].as_str().unwrap_or("").to_string(),
        created_at: at,
        in_reply_to: parent,
        raw: Some(v.clone()),
        automated: false,
        signature: None,
        url: None,
        attachments: Vec::new(),
    };
    inbound.validate()?;
    Ok(inbound)
}

fn entry(
    en: &Value,
    at: &str,
    account: &str,
    kind: earshot_core::ChannelKind,
    out: &mut WebhookBatch,
) {
    for (i, m) in en["messaging"].as_array().into_iter().flatten().enumerate() {
        item(m, &format!("{at}messaging[{i}]"), account, kind, out);
    }
}

fn item(
    m: &Value,
    at: &str,
    account: &str,
    kind: earshot_core::ChannelKind,
    out: &mut WebhookBatch,
) {
    let at = if at.is_empty() {
        "messaging".to_string()
    } else {
        at.to_string()
    };
    let when = unix_millis(&m["timestamp"]);
    if let Some(msg) = m.get("message") {
        if msg["is_deleted"] == true {
            if let Some(mid) = msg["mid"].as_str() {
                out.deleted.push(mid.to_string());
            }
            return;
        }
        if msg["is_echo"] == true {
            out.ignore(&at, "an echo of the brand's own message (Earshot stores its replies when it sends them)");
            return;
        }
        let result = message(m, msg, account, kind, when);
        out.messages.push(Decoded {
            location: Location::Path(at),
            result,
        });
        return;
    }
    let Some(when) = when else {
        out.ignore(&at, "an event without a millisecond `timestamp`");
        return;
    };
    if let Some(d) = m.get("delivery") {
        for mid in d["mids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            out.statuses.push(StatusReport {
                platform_id: mid.to_string(),
                state: DeliveryState::Delivered,
                at: when,
                error: None,
            });
        }
        if d["mids"].as_array().is_none_or(Vec::is_empty) {
            out.ignore(
                &at,
                "a delivery watermark without message ids (Earshot tracks deliveries by id)",
            );
        }
    } else if let Some(r) = m.get("read") {
        match r["mid"].as_str() {
            Some(mid) => out.statuses.push(StatusReport {
                platform_id: mid.to_string(),
                state: DeliveryState::Read,
                at: when,
                error: None,
            }),
            None => out.ignore(
                &at,
                "a read watermark without a message id (Earshot tracks reads by id)",
            ),
        }
    } else if let Some(r) = m.get("reaction") {
        match (r["mid"].as_str(), m["sender"]["id"].as_str()) {
            (Some(mid), Some(sender)) => out.reactions.push(crate::webhook::Reaction {
                platform_id: mid.to_string(),
                emoji: (r["action"] != "unreact")
                    .then(|| r["emoji"].as_str().or(r["reaction"].as_str()))
                    .flatten()
                    .map(str::to_string),
                author: sender.to_string(),
                at: when,
            }),
            _ => out.ignore(
                &at,
                "a reaction without the message it reacts to or its sender",
            ),
        }
    } else if let Some(p) = m.get("postback") {
        let text = p["title"].as_str().unwrap_or("(button)").to_string();
        let mid = p["mid"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("postback-{}-{}", m["sender"]["id"], m["timestamp"]));
        let result = private(m, mid, text, account, kind, Some(when), None);
        out.messages.push(Decoded {
            location: Location::Path(at),
            result,
        });
    } else {
        let keys: Vec<&str> = m
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .filter(|k| !matches!(*k, "sender" | "recipient" | "timestamp"))
            .collect();
        out.ignore(&at, format!("a `{}` event is not applied", keys.join(",")));
    }
}

fn message(
    m: &Value,
    msg: &Value,
    account: &str,
    kind: earshot_core::ChannelKind,
    when: Option<earshot_core::time::Timestamp>,
) -> Result<earshot_core::Inbound, Reject> {
    let when = when.ok_or_else(|| {
        Reject::new(
            "invalid_timestamp",
            format!("`timestamp` {} is not unix milliseconds", m["timestamp"]),
        )
    })?;
    let mid = msg["mid"]
        .as_str()
        .ok_or_else(|| Reject::new("missing_field", "the message has no `mid`"))?;
    let mut text = msg["text"].as_str().unwrap_or("").to_string();
    for a in msg["attachments"].as_array().into_iter().flatten() {
        let kind = a["type"].as_str().unwrap_or("file");
        let what = match kind {
            "location" => format!(
                "[location {}, {}]",
                a["payload"]["coordinates"]["lat"], a["payload"]["coordinates"]["long"]
            ),
            "story_mention" => "[mentioned the brand in a story]".to_string(),
            _ => format!(
                "[{kind}{}]",
                a["payload"]["url"]
                    .as_str()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default()
            ),
        };
        text = if text.is_empty() {
            what
        } else {
            format!("{text}\n{what}")
        };
    }
    if text.is_empty() && msg["quick_reply"].is_object() {
        text = msg["quick_reply"]["payload"]
            .as_str()
            .unwrap_or("")
            .to_string();
    }
    let replying = msg["reply_to"]["mid"].as_str().map(str::to_string);
    private(
        m,
        mid.to_string(),
        text,
        account,
        kind,
        Some(when),
        replying,
    )
}

fn private(
    m: &Value,
    mid: String,
    text: String,
    account: &str,
    kind: earshot_core::ChannelKind,
    when: Option<earshot_core::time::Timestamp>,
    in_reply_to: Option<String>,
) -> Result<earshot_core::Inbound, Reject> {
    let sender = m["sender"]["id"]
        .as_str()
        .ok_or_else(|| Reject::new("missing_field", "the event has no `sender.id`"))?;
    Private {
        channel: kind,
        account,
        external_id: mid,
        author_id: sender.to_string(),
        handle: None,
        name: None,
        text,
        at: when.ok_or_else(|| Reject::new("invalid_timestamp", "the event has no `timestamp`"))?,
        in_reply_to,
        raw: m.clone(),
        attachments: attachments(&m["message"]),
    }
    .build()
}

/// What a Messenger or Instagram message carried: each attachment by its type, with its URL
/// (the platform's CDN link) or a place's coordinates.
fn attachments(msg: &Value) -> Vec<earshot_core::Attachment> {
    msg["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .take(earshot_core::inbound::MAX_ATTACHMENTS)
        .map(|a| {
            let p = &a["payload"];
            let mut out = earshot_core::Attachment::new(a["type"].as_str().unwrap_or("file"));
            out.url = p["url"].as_str().map(str::to_string);
            out.name = p["title"]
                .as_str()
                .or(a["title"].as_str())
                .map(str::to_string);
            if out.kind == "location" {
                out.name = Some(format!(
                    "{}, {}",
                    p["coordinates"]["lat"], p["coordinates"]["long"]
                ));
            }
            out.media_id = p["sticker_id"].as_i64().map(|i| i.to_string());
            out
        })
        .collect()
}

/// The Send API: `POST {api_base}/{version}/{page_id}/messages` (Instagram: `me/messages` with
/// the Page token), inside the 24-hour window, or with the `HUMAN_AGENT` tag up to 7 days.
pub(crate) async fn send(http: &reqwest::Client, access: &Access, out: &Outgoing<'_>) -> Accepted {
    // On Instagram a public message is a comment: it is answered under it, in public.
    let comment = out.answering.filter(|_| out.public);
    if let (Connector::Instagram, Some(comment_id)) = (access.connector, comment) {
        return reply_to_comment(http, access, comment_id, out.text).await;
    }
    let hours = hours_since(out.last_inbound_at, out.now);
    let platform = if access.connector == Connector::Instagram {
        "Instagram"
    } else {
        "Messenger"
    };
    let mut body = json!({
        "recipient": {"id": out.recipient},
        "messaging_type": "RESPONSE",
        "message": {"text": out.text},
    });
    if let Some(why) = window_closed(
        access.connector,
        out.last_inbound_at,
        out.now,
        out.template.is_some(),
    ) {
        return Err(Failure::NotSent(why));
    } else if hours >= 24 {
        body["messaging_type"] = json!("MESSAGE_TAG");
        body["tag"] = json!("HUMAN_AGENT");
    }
    let node = match access.connector {
        Connector::Instagram => "me".to_string(),
        _ => access.get("page_id").to_string(),
    };
    let url = format!("{}/{GRAPH_VERSION}/{node}/messages", access.api_base());
    let (status, answer) = call(
        http.post(&url)
            .query(&[("access_token", access.get("page_access_token"))])
            .json_body(&body),
        &format!("{platform} send"),
    )
    .await?;
    if (200..300).contains(&status) {
        return answer["message_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                Failure::Transient(format!(
                    "{platform} accepted the call but named no message id"
                ))
            });
    }
    Err(graph_failure(status, &answer))
}

/// A public answer to an Instagram comment: `POST {api_base}/{version}/{comment-id}/replies`.
async fn reply_to_comment(
    http: &reqwest::Client,
    access: &Access,
    comment_id: &str,
    text: &str,
) -> Accepted {
    let url = format!("{}/{GRAPH_VERSION}/{comment_id}/replies", access.api_base());
    let (status, answer) = call(
        http.post(&url).query(&[
            ("access_token", access.get("page_access_token")),
            ("message", text),
        ]),
        "Instagram comment reply",
    )
    .await?;
    if (200..300).contains(&status) {
        return answer["id"].as_str().map(str::to_string).ok_or_else(|| {
            Failure::Transient("Instagram accepted the reply but named no id".into())
        });
    }
    Err(graph_failure(status, &answer))
}

pub(crate) async fn test(http: &reqwest::Client, access: &Access) -> Result<String, Failure> {
    let node = match access.connector {
        Connector::Instagram => access.get("ig_user_id"),
        _ => access.get("page_id"),
    };
    let url = format!(
        "{}/{GRAPH_VERSION}/{node}?fields=id,name",
        access.api_base()
    );
    let (status, answer) = call(
        http.get(&url)
            .query(&[("access_token", access.get("page_access_token"))]),
        "Graph API",
    )
    .await?;
    if (200..300).contains(&status) {
        Ok(format!(
            "{} ({})",
            answer["name"].as_str().unwrap_or("?"),
            answer["id"].as_str().unwrap_or(node)
        ))
    } else {
        Err(graph_failure(status, &answer))
    }
}
