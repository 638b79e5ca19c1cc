//! The customer beside the conversation: identities across channels, engagement, tier and
//! value, their other conversations; and "the same person?": find another contact by name,
//! handle, email or phone, merge it into this one, and undo a merge.

use super::{after_change, time_tag, Session};
use crate::extract::Form;
use crate::web::{csrf_field, post_form};
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use earshot_core::store::{ContactQuery, StoreResult};
use earshot_core::{
    Contact, ContactId, ContactMerge, ContactProfile, Conversation, ConversationId, Store,
    WorkspaceId,
};
use maud::{html, Markup};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct FindQuery {
    /// What to look for among the other contacts.
    pub(crate) find: Option<String>,
}

/// The contacts `find` names, this conversation's own left out (none without `find`).
pub(super) async fn find(
    store: &dyn Store,
    ws: WorkspaceId,
    own: ContactId,
    find: Option<&str>,
) -> StoreResult<Vec<Contact>> {
    let Some(q) = find else {
        return Ok(Vec::new());
    };
    let query = ContactQuery {
        after: None,
        limit: 10,
        search: Some(q.chars().take(200).collect()),
    };
    Ok(store
        .list_contacts(ws, &query)
        .await?
        .items
        .into_iter()
        .filter(|c| c.id != own)
        .collect())
}

/// The customer: identities across channels, followers, engagement, tier and value, their
/// other conversations, and merging.
pub(super) fn customer_panel(
    session: &Session,
    c: &Conversation,
    customer: &str,
    contact: Option<&ContactProfile>,
    others: &[&Conversation],
    merges: &[ContactMerge],
    found: Option<(&str, &[Contact])>,
) -> Markup {
    html! {
        section.card aria-labelledby="cust-h" {
            h2 #cust-h { (customer) }
            @if let Some(p) = contact {
                ul.identities aria-label="Identities" {
                    @for i in &p.identities {
                        li {
                            span.channel.{ "ch-" (i.kind.as_str()) } { (i.kind.as_str()) }
                            " "
                            @match &i.handle {
                                Some(h) => { "@" (h) },
                                None => (i.external_id),
                            }
                            @if i.verified { " ✓ verified" }
                            @if let Some(f) = i.followers { " · " (f) " followers" }
                        }
                    }
                }
                @if !p.identifiers.is_empty() {
                    ul.identifiers aria-label="Email addresses and phone numbers" {
                        @for f in &p.identifiers {
                            li {
                                (f.kind.as_str()) " "
                                (earshot_core::identifiers::Identifier { kind: f.kind, value: f.value.clone() }.display())
                                @if f.verified {
                                    " · verified by its channel"
                                } @else if let Some(m) = f.message_id {
                                    " · written by the customer in message " (m.0)
                                } @else {
                                    " · written by the customer"
                                }
                            }
                        }
                    }
                }
                p {
                    "Engagement: "
                    strong { @if p.contact.opted_out { "opted out" } @else { "welcome" } }
                }
                @if let Some(t) = &p.contact.tier { p { "Tier: " (t) } }
                @if let Some(v) = p.contact.value { p { "Value: " (format!("{v:.2}")) } }
            }
            h3 { "Other conversations" }
            @if others.is_empty() {
                p.muted { "None." }
            } @else {
                ul {
                    @for o in others {
                        li {
                            a href={ "/c/" (o.id.0) } { "Conversation " (o.id.0) }
                            " · " (o.status.as_str()) " · " (time_tag(o.first_message_at))
                        }
                    }
                }
            }
            (same_person(session, c, merges, found))
        }
    }
}

/// Find another contact of the same person, merge it in; undo a merge.
fn same_person(
    session: &Session,
    c: &Conversation,
    merges: &[ContactMerge],
    found: Option<(&str, &[Contact])>,
) -> Markup {
    html! {
        h3 { "Same person elsewhere?" }
        form method="get" action={ "/c/" (c.id.0) } aria-label="Find a contact to merge" {
            label for="find" { "Name, handle, email or phone" }
            input #find name="find" maxlength="200" value=(found.map(|f| f.0).unwrap_or(""));
            button type="submit" { "Find" }
        }
        @if let Some((q, contacts)) = found {
            @if contacts.is_empty() {
                p.muted { "No other contact matches “" (q) "”." }
            } @else {
                ul.found aria-label="Contacts found" {
                    @for other in contacts {
                        li {
                            (other.display_name.as_deref().unwrap_or("(no name)"))
                            " · contact " (other.id.0)
                            (post_form(session, &format!("/c/{}/merge", c.id.0),
                                &format!("Merge contact {} into this customer", other.id.0), html! {
                                input type="hidden" name="other_id" value=(other.id.0);
                                button type="submit" { "Merge into this customer" }
                            }))
                        }
                    }
                }
            }
        }
        @for m in merges.iter().filter(|m| m.into_id == c.contact_id) {
            p.merge {
                "Contact " (m.from_id.0) " merged in " (time_tag(m.merged_at))
                " (" (m.identities.len()) " identities, " (m.conversations.len()) " conversations)"
                @if let Some(r) = &m.reason { " · joined automatically: " (r) }
                @if let Some(at) = m.undone_at {
                    " · undone " (time_tag(at))
                } @else {
                    form method="post" action={ "/c/" (c.id.0) "/merges/" (m.id) "/undo" }
                        aria-label={ "Undo merge " (m.id) } {
                        (csrf_field(session))
                        button type="submit" { "Undo" }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct MergeForm {
    #[serde(default)]
    csrf: String,
    other_id: i64,
}

/// Merges the contact found into this conversation's customer.
pub(crate) async fn merge(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<MergeForm>,
) -> Response {
    if let Err(r) = session.check(&form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let result = match state.store.get_conversation(ws, ConversationId(id)).await {
        Ok(Some(c)) => state
            .store
            .merge_contacts(
                ws,
                c.contact_id,
                ContactId(form.other_id),
                earshot_core::time::now(),
            )
            .await
            .map(|_| ()),
        Ok(None) => Err(earshot_core::StoreError::NotFound {
            what: "conversation",
            id,
        }),
        Err(e) => Err(e),
    };
    after_change(&state, &session, id, result).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct UndoForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn undo_merge(
    State(state): State<AppState>,
    session: Session,
    Path((id, merge)): Path<(i64, i64)>,
    Form(form): Form<UndoForm>,
) -> Response {
    if let Err(r) = session.check(&form.csrf) {
        return r;
    }
    let result = state
        .store
        .undo_merge(session.user.workspace_id, merge, earshot_core::time::now())
        .await
        .map(|_| ());
    match result {
        Ok(()) => Redirect::to(&format!("/c/{id}")).into_response(),
        Err(e) => after_change(&state, &session, id, Err(e)).await,
    }
}
