//! The customer's rights over what Earshot holds about them. [`export`]: everything kept
//! about one person, as one JSON document with a readable summary on top — their contact,
//! every identity, every conversation with its messages (text, native payloads,
//! attachments), what understanding found in them, their tags, history and replies, their
//! consent ledger, their orders, and the merges the contact took part in. [`erase`]: the right to erasure.
//! Both are on the privacy log, with who asked.

use earshot_core::store::{ConversationCursor, ConversationQuery, StoreResult};
use earshot_core::{ContactId, Store, StoreError, WorkspaceId};
use serde_json::{json, Value};

/// Erases contact `id` (the right to erasure; see [`Store::erase_contact`]), on the privacy
/// log as done by `actor`.
pub async fn erase(
    store: &dyn Store,
    ws: WorkspaceId,
    id: ContactId,
    actor: &str,
) -> StoreResult<earshot_core::privacy::Erasure> {
    store
        .erase_contact(ws, id, actor, earshot_core::time::now())
        .await
}

/// Everything held about contact `id`; `NotFound` when the workspace has no such contact.
/// The export is on the privacy log as done by `actor`.
pub async fn export(
    store: &dyn Store,
    ws: WorkspaceId,
    id: ContactId,
    actor: &str,
) -> StoreResult<Value> {
    let doc = export_document(store, ws, id).await?;
    let conversations = doc["conversations"].as_array().map_or(0, Vec::len);
    store
        .log_privacy(
            ws,
            "export",
            id,
            actor,
            &json!({ "conversations": conversations }),
        )
        .await?;
    Ok(doc)
}

async fn export_document(store: &dyn Store, ws: WorkspaceId, id: ContactId) -> StoreResult<Value> {
    let Some(profile) = store.get_contact(ws, id).await? else {
        return Err(StoreError::NotFound {
            what: "contact",
            id: id.0,
        });
    };
    let merges = store.contact_merges(ws, id).await?;
    let consent = store.consent_ledger(ws, id).await?;
    let (mut orders, order_summary) = store
        .contact_orders(ws, id, earshot_core::orders::MAX_ORDERS_READ)
        .await?;
    // Orders that wait for a contact but name the person's verified address or number are
    // theirs too (erasure deletes them).
    orders.extend(store.unmatched_orders_naming(ws, id).await?);
    let mut conversations = Vec::new();
    let mut after: Option<ConversationCursor> = None;
    loop {
        let query = ConversationQuery {
            contact: Some(id),
            after,
            limit: earshot_core::store::MAX_PAGE,
            ..Default::default()
        };
        let page = store.list_conversations(ws, &query).await?;
        conversations.extend(page.items);
        match page
            .next_cursor
            .as_deref()
            .and_then(ConversationCursor::decode)
        {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    conversations.sort_by_key(|c| c.id);
    // What they said in listening posts that matched no topic (kept a week after it was heard).
    let heard = store
        .heard_posts(
            ws,
            &earshot_core::store::HeardFilter {
                authors: Some(
                    profile
                        .identities
                        .iter()
                        .map(|i| (i.kind, i.external_id.clone()))
                        .collect(),
                ),
                limit: 500,
                ..Default::default()
            },
        )
        .await?;
    let mut messages_total = 0;
    let mut channels = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(conversations.len());
    for c in &conversations {
        let messages = store.conversation_messages(ws, c.id).await?;
        let enrichments = store.conversation_enrichments(ws, c.id).await?;
        let events = store.conversation_events(ws, c.id).await?;
        let tags = store.conversation_tags(ws, c.id).await?;
        let outbox = store.list_outbox(ws, Some(c.id)).await?;
        let survey = store.conversation_survey(ws, c.id).await?;
        messages_total += messages.len();
        channels.insert(c.channel_kind.as_str());
        out.push(json!({
            "conversation": c,
            "messages": messages,
            "enrichments": enrichments.iter().map(|(m, e)| json!({"message_id": m, "enrichment": e})).collect::<Vec<_>>(),
            "tags": tags,
            "events": events,
            "replies": outbox,
            "survey": survey,
        }));
    }
    let name = profile
        .contact
        .display_name
        .clone()
        .unwrap_or_else(|| format!("contact {}", id.0));
    let summary = format!(
        "Everything Earshot holds about {name}: {} identit{} ({}), {} conversation{} with {} message{} on {}, {} order{}, and {} merge{} of contacts.",
        profile.identities.len(),
        if profile.identities.len() == 1 { "y" } else { "ies" },
        profile
            .identities
            .iter()
            .map(|i| format!("{} {}", i.kind.as_str(), i.handle.as_deref().unwrap_or(&i.external_id)))
            .collect::<Vec<_>>()
            .join(", "),
        conversations.len(),
        if conversations.len() == 1 { "" } else { "s" },
        messages_total,
        if messages_total == 1 { "" } else { "s" },
        if channels.is_empty() {
            "no channel".to_string()
        } else {
            channels.into_iter().collect::<Vec<_>>().join(", ")
        },
        orders.len(),
        if orders.len() == 1 { "" } else { "s" },
        merges.len(),
        if merges.len() == 1 { "" } else { "s" },
    );
    Ok(json!({
        "summary": summary,
        "exported_at": earshot_core::time::now(),
        "contact": profile,
        "consent": consent,
        "orders": orders,
        "order_summary": order_summary,
        "merges": merges,
        "conversations": out,
        "heard": heard,
    }))
}
