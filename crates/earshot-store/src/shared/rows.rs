//! Row mappers: a conversation, channel, contact… from a result row.

use super::*;

use earshot_core::time::from_millis;
use sqlx::Row as _;

/// Columns expected by [`conversation`], in order.
pub(crate) const CONVERSATION_COLUMNS: &str = "c.id, c.workspace_id, c.channel_id, ch.kind, \
     c.contact_id, c.status, c.priority, c.assignee_id, c.team_id, c.message_count, \
     c.first_message_at, c.last_message_at, c.first_response_at, c.waiting_since, \
     c.created_at, c.updated_at, c.sla_due_at";

/// A nullable millisecond column as a time.
pub(crate) fn opt_time(
    r: &DbRow,
    i: usize,
) -> earshot_core::store::StoreResult<Option<earshot_core::time::Timestamp>> {
    Ok(r.try_get::<Option<i64>, _>(i)
        .map_err(crate::db_err)?
        .map(from_millis))
}

pub(crate) fn conversation(
    r: &DbRow,
) -> earshot_core::store::StoreResult<earshot_core::Conversation> {
    let kind: String = r.try_get(3).map_err(crate::db_err)?;
    let status: String = r.try_get(5).map_err(crate::db_err)?;
    Ok(earshot_core::Conversation {
        id: earshot_core::ConversationId(r.try_get(0).map_err(crate::db_err)?),
        workspace_id: earshot_core::WorkspaceId(r.try_get(1).map_err(crate::db_err)?),
        channel_id: earshot_core::ChannelId(r.try_get(2).map_err(crate::db_err)?),
        channel_kind: kind
            .parse()
            .map_err(|_| crate::corrupt("channel kind", &kind))?,
        contact_id: earshot_core::ContactId(r.try_get(4).map_err(crate::db_err)?),
        status: status
            .parse()
            .map_err(|_| crate::corrupt("status", &status))?,
        priority: r.try_get(6).map_err(crate::db_err)?,
        assignee_id: r
            .try_get::<Option<i64>, _>(7)
            .map_err(crate::db_err)?
            .map(earshot_core::AgentId),
        team_id: r
            .try_get::<Option<i64>, _>(8)
            .map_err(crate::db_err)?
            .map(earshot_core::TeamId),
        message_count: r.try_get(9).map_err(crate::db_err)?,
        first_message_at: from_millis(r.try_get(10).map_err(crate::db_err)?),
        last_message_at: from_millis(r.try_get(11).map_err(crate::db_err)?),
        first_response_at: r
            .try_get::<Option<i64>, _>(12)
            .map_err(crate::db_err)?
            .map(from_millis),
        sla_due_at: r
            .try_get::<Option<i64>, _>(16)
            .map_err(crate::db_err)?
            .map(from_millis),
        waiting_since: r
            .try_get::<Option<i64>, _>(13)
            .map_err(crate::db_err)?
            .map(from_millis),
        created_at: from_millis(r.try_get(14).map_err(crate::db_err)?),
        updated_at: from_millis(r.try_get(15).map_err(crate::db_err)?),
    })
}

/// Columns expected by [`message`], in order.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.workspace_id, m.channel_id, ch.kind, \
     m.conversation_id, m.identity_id, m.external_id, m.direction, m.visibility, m.text, \
     m.sent_at, m.received_at, m.in_reply_to, m.raw, m.attachments, m.deleted_at";

pub(crate) fn message(r: &DbRow) -> earshot_core::store::StoreResult<earshot_core::Message> {
    let kind: String = r.try_get(3).map_err(crate::db_err)?;
    let direction: String = r.try_get(7).map_err(crate::db_err)?;
    let visibility: String = r.try_get(8).map_err(crate::db_err)?;
    let raw: String = r.try_get(13).map_err(crate::db_err)?;
    let attachments: Option<String> = r.try_get(14).map_err(crate::db_err)?;
    let attachments = match attachments {
        None => Vec::new(),
        Some(a) => serde_json::from_str(&a).map_err(|_| crate::corrupt("attachments", &a))?,
    };
    Ok(earshot_core::Message {
        id: earshot_core::MessageId(r.try_get(0).map_err(crate::db_err)?),
        workspace_id: earshot_core::WorkspaceId(r.try_get(1).map_err(crate::db_err)?),
        channel_id: earshot_core::ChannelId(r.try_get(2).map_err(crate::db_err)?),
        channel_kind: kind
            .parse()
            .map_err(|_| crate::corrupt("channel kind", &kind))?,
        conversation_id: earshot_core::ConversationId(r.try_get(4).map_err(crate::db_err)?),
        identity_id: earshot_core::IdentityId(r.try_get(5).map_err(crate::db_err)?),
        external_id: r.try_get(6).map_err(crate::db_err)?,
        direction: direction
            .parse()
            .map_err(|_| crate::corrupt("direction", &direction))?,
        visibility: visibility
            .parse()
            .map_err(|_| crate::corrupt("visibility", &visibility))?,
        text: r.try_get(9).map_err(crate::db_err)?,
        sent_at: from_millis(r.try_get(10).map_err(crate::db_err)?),
        received_at: from_millis(r.try_get(11).map_err(crate::db_err)?),
        in_reply_to: r.try_get(12).map_err(crate::db_err)?,
        raw: serde_json::from_str(&raw).map_err(|_| crate::corrupt("raw payload", &raw))?,
        attachments,
        deleted_at: r
            .try_get::<Option<i64>, _>(15)
            .map_err(crate::db_err)?
            .map(from_millis),
    })
}

pub(crate) const CONTACT_COLUMNS: &str =
    "id, workspace_id, display_name, created_at, updated_at, opted_out, tier, value, merged_into, brand, \
     value_source, tier_source, engagement_level, preferred_channel";

pub(crate) fn contact(r: &DbRow) -> earshot_core::store::StoreResult<earshot_core::Contact> {
    Ok(earshot_core::Contact {
        id: earshot_core::ContactId(r.try_get(0).map_err(crate::db_err)?),
        workspace_id: earshot_core::WorkspaceId(r.try_get(1).map_err(crate::db_err)?),
        display_name: r.try_get(2).map_err(crate::db_err)?,
        created_at: from_millis(r.try_get(3).map_err(crate::db_err)?),
        updated_at: from_millis(r.try_get(4).map_err(crate::db_err)?),
        opted_out: r.try_get(5).map_err(crate::db_err)?,
        tier: r.try_get(6).map_err(crate::db_err)?,
        value: r.try_get(7).map_err(crate::db_err)?,
        merged_into: r
            .try_get::<Option<i64>, _>(8)
            .map_err(crate::db_err)?
            .map(earshot_core::ContactId),
        brand: r.try_get(9).map_err(crate::db_err)?,
        value_from_orders: r
            .try_get::<Option<String>, _>(10)
            .map_err(crate::db_err)?
            .is_some(),
        tier_from_orders: r
            .try_get::<Option<String>, _>(11)
            .map_err(crate::db_err)?
            .is_some(),
        engagement_level: r
            .try_get::<Option<String>, _>(12)
            .map_err(crate::db_err)?
            .map(|l| {
                l.parse()
                    .map_err(|_| crate::corrupt("engagement level", &l))
            })
            .transpose()?,
        preferred_channel: r
            .try_get::<Option<String>, _>(13)
            .map_err(crate::db_err)?
            .map(|c| c.parse().map_err(|_| crate::corrupt("channel kind", &c)))
            .transpose()?,
    })
}

pub(crate) const IDENTITY_COLUMNS: &str = "id, workspace_id, contact_id, kind, external_id, \
     handle, display_name, followers, verified, created_at, updated_at";

pub(crate) fn identity(r: &DbRow) -> earshot_core::store::StoreResult<earshot_core::Identity> {
    let kind: String = r.try_get(3).map_err(crate::db_err)?;
    Ok(earshot_core::Identity {
        id: earshot_core::IdentityId(r.try_get(0).map_err(crate::db_err)?),
        workspace_id: earshot_core::WorkspaceId(r.try_get(1).map_err(crate::db_err)?),
        contact_id: earshot_core::ContactId(r.try_get(2).map_err(crate::db_err)?),
        kind: kind
            .parse()
            .map_err(|_| crate::corrupt("channel kind", &kind))?,
        external_id: r.try_get(4).map_err(crate::db_err)?,
        handle: r.try_get(5).map_err(crate::db_err)?,
        display_name: r.try_get(6).map_err(crate::db_err)?,
        followers: r.try_get(7).map_err(crate::db_err)?,
        verified: r.try_get(8).map_err(crate::db_err)?,
        created_at: from_millis(r.try_get(9).map_err(crate::db_err)?),
        updated_at: from_millis(r.try_get(10).map_err(crate::db_err)?),
    })
}

pub(crate) fn workspace(r: &DbRow) -> earshot_core::store::StoreResult<earshot_core::Workspace> {
    Ok(earshot_core::Workspace {
        id: earshot_core::WorkspaceId(r.try_get(0).map_err(crate::db_err)?),
        name: r.try_get(1).map_err(crate::db_err)?,
        created_at: from_millis(r.try_get(2).map_err(crate::db_err)?),
    })
}

pub(crate) fn channel(r: &DbRow) -> earshot_core::store::StoreResult<earshot_core::Channel> {
    let kind: String = r.try_get(2).map_err(crate::db_err)?;
    let role: String = r.try_get(4).map_err(crate::db_err)?;
    Ok(earshot_core::Channel {
        id: earshot_core::ChannelId(r.try_get(0).map_err(crate::db_err)?),
        workspace_id: earshot_core::WorkspaceId(r.try_get(1).map_err(crate::db_err)?),
        kind: kind
            .parse()
            .map_err(|_| crate::corrupt("channel kind", &kind))?,
        name: r.try_get(3).map_err(crate::db_err)?,
        role: role
            .parse()
            .map_err(|_| crate::corrupt("channel role", &role))?,
    })
}

pub(crate) const AGENT_COLUMNS: &str =
    "id, workspace_id, name, email, team_id, skills, capacity, availability, last_assigned_at";

pub(crate) fn agent(r: &DbRow) -> earshot_core::store::StoreResult<earshot_core::Agent> {
    let skills: String = r.try_get(5).map_err(crate::db_err)?;
    let availability: String = r.try_get(7).map_err(crate::db_err)?;
    let capacity: i32 = r.try_get(6).map_err(crate::db_err)?;
    Ok(earshot_core::Agent {
        id: earshot_core::AgentId(r.try_get(0).map_err(crate::db_err)?),
        workspace_id: earshot_core::WorkspaceId(r.try_get(1).map_err(crate::db_err)?),
        name: r.try_get(2).map_err(crate::db_err)?,
        email: r.try_get(3).map_err(crate::db_err)?,
        team_id: r
            .try_get::<Option<i64>, _>(4)
            .map_err(crate::db_err)?
            .map(earshot_core::TeamId),
        skills: serde_json::from_str(&skills)
            .map_err(|_| crate::corrupt("agent skills", &skills))?,
        capacity: capacity.max(0) as u32,
        availability: availability
            .parse()
            .map_err(|_| crate::corrupt("availability", &availability))?,
        last_assigned_at: r
            .try_get::<Option<i64>, _>(8)
            .map_err(crate::db_err)?
            .map(from_millis),
    })
}

pub(crate) const TOPIC_COLUMNS: &str =
    "id, workspace_id, name, query, active, created_at, updated_at";

pub(crate) fn topic(r: &DbRow) -> earshot_core::store::StoreResult<earshot_core::Topic> {
    Ok(earshot_core::Topic {
        id: earshot_core::TopicId(r.try_get(0).map_err(crate::db_err)?),
        workspace_id: earshot_core::WorkspaceId(r.try_get(1).map_err(crate::db_err)?),
        name: r.try_get(2).map_err(crate::db_err)?,
        query: r.try_get(3).map_err(crate::db_err)?,
        active: r.try_get(4).map_err(crate::db_err)?,
        created_at: from_millis(r.try_get(5).map_err(crate::db_err)?),
        updated_at: from_millis(r.try_get(6).map_err(crate::db_err)?),
    })
}

pub(crate) fn sample(r: &DbRow) -> earshot_core::store::StoreResult<earshot_core::MessageSample> {
    let kind: String = r.try_get(1).map_err(crate::db_err)?;
    Ok(earshot_core::MessageSample {
        id: earshot_core::MessageId(r.try_get(0).map_err(crate::db_err)?),
        channel_kind: kind
            .parse()
            .map_err(|_| crate::corrupt("channel kind", &kind))?,
        text: r.try_get(2).map_err(crate::db_err)?,
        sent_at: from_millis(r.try_get(3).map_err(crate::db_err)?),
        author_external_id: r.try_get(4).map_err(crate::db_err)?,
        author_handle: r.try_get(5).map_err(crate::db_err)?,
        author_followers: r.try_get(6).map_err(crate::db_err)?,
        author_verified: r.try_get(7).map_err(crate::db_err)?,
    })
}

pub(crate) const TEAM_COLUMNS: &str = "id, workspace_id, name, strategy";

pub(crate) fn team(r: &DbRow) -> earshot_core::store::StoreResult<earshot_core::Team> {
    let strategy: String = r.try_get(3).map_err(crate::db_err)?;
    Ok(earshot_core::Team {
        id: earshot_core::TeamId(r.try_get(0).map_err(crate::db_err)?),
        workspace_id: earshot_core::WorkspaceId(r.try_get(1).map_err(crate::db_err)?),
        name: r.try_get(2).map_err(crate::db_err)?,
        strategy: strategy
            .parse()
            .map_err(|_| crate::corrupt("strategy", &strategy))?,
    })
}
