//! Replies as outbound messages. An agent's reply and a rule's automated one are built the
//! same way (one id scheme, the conversation's channel account as the author, threaded under
//! the customer message they answer), stored as outbound messages of the conversation and
//! queued in the outbox for the channel's sender. A rule's reply is marked automated, so the
//! customer still waits for a person unless the rule says its reply counts as a response.

use earshot_core::rules::render_template;
use earshot_core::time::Timestamp;
use earshot_core::workflow::{Context, NewOutbox};
use earshot_core::{
    ChannelRole, ConversationId, Direction, Inbound, InboundAuthor, MessageId, Visibility,
};
use serde_json::json;

use super::decide::PendingReply;

/// The platform id Earshot gives a reply until the platform assigns its own: unique per
/// conversation, moment and position in a plan.
pub(crate) fn reply_id(conversation: ConversationId, at: Timestamp, n: usize) -> String {
    format!(
        "earshot-reply-{}-{}-{n}",
        conversation.0,
        at.timestamp_nanos_opt().unwrap_or_default()
    )
}

/// The message a reply is stored as. `answering`: the platform id and visibility of the
/// customer message it answers.
pub(crate) fn outbound(
    ctx: &Context,
    text: String,
    answering: Option<(&str, Visibility)>,
    at: Timestamp,
    external_id: String,
    automated: bool,
) -> Inbound {
    let account = ctx.channel_name.clone();
    Inbound {
        channel: ctx.conversation.channel_kind,
        account: Some(account.clone()),
        source: ChannelRole::Owned,
        external_id,
        direction: Direction::Out,
        visibility: answering.map(|a| a.1).unwrap_or_default(),
        author: InboundAuthor {
            external_id: account.clone(),
            handle: Some(account),
            display_name: None,
            followers: None,
            verified: false,
            email: None,
            phone: None,
        },
        text,
        created_at: at,
        in_reply_to: answering.map(|a| a.0.to_string()),
        raw: None,
        automated,
        signature: None,
        url: None,
        attachments: Vec::new(),
    }
}

/// An automated reply of a plan, its template filled in for the customer.
pub(crate) fn automated(r: &PendingReply, ctx: &Context, at: Timestamp, n: usize) -> Inbound {
    let handle = ctx.contact_handle.clone().unwrap_or_default();
    let name = ctx.contact_name.clone().unwrap_or_else(|| handle.clone());
    let text = render_template(&r.template, &name, &handle, ctx.conversation.id.0);
    outbound(
        ctx,
        text,
        r.answering
            .as_ref()
            .map(|m| (m.external_id.as_str(), m.visibility)),
        at,
        reply_id(ctx.conversation.id, at, n),
        !r.counts_as_response,
    )
}

/// The outbox delivery of a stored reply.
pub(crate) fn delivery(
    reply: &Inbound,
    conversation: ConversationId,
    message: MessageId,
) -> NewOutbox {
    let mut payload = json!({"channel": reply.channel, "account": reply.account_name(), "text": reply.text,
                             "in_reply_to": reply.in_reply_to, "external_id": reply.external_id,
                             "automated": reply.automated});
    if let Some(template) = reply.raw.as_ref().and_then(|r| r.get("template")) {
        payload["template"] = template.clone();
    }
    NewOutbox {
        conversation_id: Some(conversation),
        kind: "reply",
        message_id: Some(message),
        payload,
    }
}
