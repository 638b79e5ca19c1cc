//! What a rule does when it fires, validated on save.

use super::*;
use serde::{Deserialize, Serialize};

/// What a rule does when it fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// To a team: the team's assignment strategy picks the agent (or the backlog keeps it).
    AssignTeam {
        team_id: crate::TeamId,
    },
    AssignAgent {
        agent_id: crate::AgentId,
    },
    SetPriority {
        priority: i32,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    SetStatus {
        status: crate::ConversationStatus,
    },
    /// Snoozed for this long; a customer message wakes it earlier.
    Snooze {
        minutes: u32,
    },
    /// Use this SLA policy (by id) for the conversation's targets.
    ApplySla {
        policy_id: i64,
    },
    /// An automated reply on the conversation's channel. `{{contact.name}}`,
    /// `{{contact.handle}}` and `{{conversation.id}}` are filled in. Never sent to a contact
    /// who opted out of engagement (the firing is recorded as skipped). An automated reply
    /// is not a response: the customer still waits, the SLA clock runs and response times
    /// do not count it, unless `counts_as_response` is set (a rule that answers in full).
    Reply {
        template: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        counts_as_response: bool,
    },
    /// A private note on the conversation, seen only by agents.
    Note {
        text: String,
    },
    /// A notification for an agent (or everyone in the workspace without `agent_id`).
    Notify {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_id: Option<crate::AgentId>,
        message: String,
    },
    /// POST the event to a URL (signed, retried, from the outbox).
    Webhook {
        url: String,
    },
}

/// Placeholders a reply template may use.
pub const TEMPLATE_PLACEHOLDERS: [&str; 3] = [
    "{{contact.name}}",
    "{{contact.handle}}",
    "{{conversation.id}}",
];

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Self::AssignTeam { .. } => "assign_team",
            Self::AssignAgent { .. } => "assign_agent",
            Self::SetPriority { .. } => "set_priority",
            Self::AddTag { .. } => "add_tag",
            Self::RemoveTag { .. } => "remove_tag",
            Self::SetStatus { .. } => "set_status",
            Self::Snooze { .. } => "snooze",
            Self::ApplySla { .. } => "apply_sla",
            Self::Reply { .. } => "reply",
            Self::Note { .. } => "note",
            Self::Notify { .. } => "notify",
            Self::Webhook { .. } => "webhook",
        }
    }

    pub(crate) fn validate(&self, path: &str, errors: &mut Vec<RuleError>) {
        match self {
            Self::SetPriority { priority } if !(0..=100).contains(priority) => {
                errors.push(err(&format!("{path}.priority"), "must be 0 to 100"))
            }
            Self::AddTag { tag } | Self::RemoveTag { tag }
                if tag.trim().is_empty() || tag.len() > 64 =>
            {
                errors.push(err(&format!("{path}.tag"), "must be 1 to 64 characters"))
            }
            Self::Snooze { minutes: 0 } => {
                errors.push(err(&format!("{path}.minutes"), "must be at least 1"))
            }
            Self::Reply { template, .. } => {
                if template.trim().is_empty() {
                    errors.push(err(&format!("{path}.template"), "is empty"));
                }
                let mut rest = template.as_str();
                while let Some(start) = rest.find("{{") {
                    let end = rest[start..].find("}}").map(|e| start + e + 2);
                    let Some(end) = end else {
                        errors.push(err(&format!("{path}.template"), "an unclosed `{{`"));
                        break;
                    };
                    let placeholder = &rest[start..end];
                    if !TEMPLATE_PLACEHOLDERS.contains(&placeholder) {
                        errors.push(err(
                            &format!("{path}.template"),
                            format!(
                                "unknown placeholder `{placeholder}`; known: {}",
                                TEMPLATE_PLACEHOLDERS.join(", ")
                            ),
                        ));
                    }
                    rest = &rest[end..];
                }
            }
            Self::Note { text } | Self::Notify { message: text, .. } if text.trim().is_empty() => {
                errors.push(err(path, "the text is empty"))
            }
            Self::Webhook { url }
                if !(url.starts_with("https://") || url.starts_with("http://"))
                    || url.len() < 10 =>
            {
                errors.push(err(&format!("{path}.url"), "must be an http(s) URL"))
            }
            _ => {}
        }
    }
}

/// Fills a reply template.
pub fn render_template(
    template: &str,
    contact_name: &str,
    handle: &str,
    conversation: i64,
) -> String {
    template
        .replace("{{contact.name}}", contact_name)
        .replace("{{contact.handle}}", handle)
        .replace("{{conversation.id}}", &conversation.to_string())
}
