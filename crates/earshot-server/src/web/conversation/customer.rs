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
use earshot_engine::suggestions::Suggested;
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

/// The contacts the identity matcher takes for the same person (none for a contact that is
/// gone).
pub(super) async fn suggested(
    store: &dyn Store,
    ws: WorkspaceId,
    own: ContactId,
) -> StoreResult<Vec<Suggested>> {
    // Suggestions are a help, not the page: when they cannot be worked out, the page shows
    // without them (and the log says why).
    match earshot_engine::suggestions::for_contact(store, ws, own, 5, None).await {
        Ok(found) => Ok(found),
        Err(earshot_core::StoreError::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => {
            tracing::warn!(error = %e, contact = own.0, "no suggestions for the customer panel");
            Ok(Vec::new())
        }
    }
}

/// What the panel's "Same person elsewhere?" part shows: merges, a search's results, the
/// matcher's suggestions.
pub(super) struct SamePerson<'a> {
    pub merges: &'a [ContactMerge],
    pub found: Option<(&'a str, &'a [Contact])>,
    pub suggested: &'a [Suggested],
}

/// What the panel shows of the customer's orders.
pub(super) struct Orders<'a> {
    pub recent: &'a [earshot_core::orders::Order],
    pub summary: &'a earshot_core::orders::OrderSummary,
    /// Orders the conversation's messages name by number.
    pub named: &'a [earshot_core::orders::Order],
}

fn order_line(o: &earshot_core::orders::Order) -> Markup {
    html! {
        strong { "Order " (o.number.as_deref().unwrap_or(&o.external_id)) }
        " · " (o.amount) " " (o.currency) " · " (o.status.as_str()) " · " (time_tag(o.placed_at))
        @if !o.items.is_empty() {
            br;
            span.muted {
                @for (n, i) in o.items.iter().enumerate() {
                    @if n > 0 { ", " }
                    (i.name) @if i.quantity != 1 { " ×" (i.quantity) }
                }
            }
        }
    }
}

fn orders_part(orders: &Orders<'_>, contact: Option<&ContactProfile>) -> Markup {
    let s = orders.summary;
    html! {
        @if !orders.named.is_empty() {
            h3 { "Orders named here" }
            ul.named-orders aria-label="Orders named in this conversation" {
                @for o in orders.named {
                    li id={ "order-" (o.id) } {
                        (order_line(o))
                        @if o.contact_id.is_some() && o.contact_id != contact.map(|p| p.contact.id) {
                            " · another customer's order"
                        } @else if o.contact_id.is_none() {
                            " · not matched to a customer"
                        }
                    }
                }
            }
        }
        h3 { "Orders" }
        @if s.order_count == 0 && orders.recent.is_empty() {
            p.muted { "None known." }
        } @else {
            p.order-summary {
                "Lifetime value: "
                strong {
                    @for (n, t) in s.lifetime_value.iter().enumerate() {
                        @if n > 0 { " + " }
                        (t.amount) " " (t.currency)
                    }
                    @if s.lifetime_value.is_empty() { "0" }
                }
                " · " (s.order_count) " order" @if s.order_count != 1 { "s" }
                @if s.open_orders > 0 { " · " (s.open_orders) " open" }
                @if let Some(last) = s.last_order_at { " · last " (time_tag(last)) }
            }
            ul.orders aria-label="Latest orders" {
                @for o in orders.recent { li { (order_line(o)) } }
            }
        }
    }
}

/// What the customer chose: each purpose's state, and the link to their preference page.
pub(super) struct Choices<'a> {
    pub purposes: &'a [earshot_core::preferences::PurposeState],
    pub link: &'a str,
}

fn choices_part(p: &ContactProfile, choices: &Choices<'_>) -> Markup {
    html! {
        p {
            "Engagement: "
            strong { @if p.contact.opted_out { "opted out" } @else { "welcome" } }
            @if let Some(level) = p.contact.engagement_level {
                " · chose " strong { (level.title()) }
            }
            @if let Some(kind) = p.contact.preferred_channel {
                " · wants answers on " strong { (kind.as_str()) }
            }
        }
        p.purposes {
            @for (n, s) in choices.purposes.iter().enumerate() {
                @if n > 0 { " · " }
                (s.purpose) " " @if s.granted { "✓" } @else { "✗" }
                @if let Some(kind) = s.channel { " (" (kind.as_str()) ")" }
            }
        }
        details.preference-link {
            summary { "Preference link for the customer" }
            p.muted { "Valid 30 days; send it in a reply. It opens their choices page: no account needed." }
            input readonly value=(choices.link) aria-label="Preference link";
        }
    }
}

/// The customer: identities across channels, followers, engagement, tier and value, their
/// orders, their other conversations, and merging.
pub(super) fn customer_panel(
    session: &Session,
    c: &Conversation,
    customer: &str,
    contact: Option<&ContactProfile>,
    others: &[&Conversation],
    same: SamePerson<'_>,
    (orders, choices): (&Orders<'_>, &Choices<'_>),
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
                (choices_part(p, choices))
                @if let Some(t) = &p.contact.tier {
                    p { "Tier: " (t) @if p.contact.tier_from_orders { " (from orders)" } }
                }
                @if let Some(v) = p.contact.value {
                    p { "Value: " (format!("{v:.2}")) @if p.contact.value_from_orders { " (lifetime value from orders)" } }
                }
            }
            (orders_part(orders, contact))
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
            (same_person(session, c, same.merges, same.found, same.suggested))
            @if session.is_admin() && contact.is_some() {
                details.erase {
                    summary { "Erase this customer…" }
                    p {
                        "The customer's right to erasure: every message, conversation, identity, "
                        "consent record and merge of this customer is deleted for good. Only a salted "
                        "hash of each identity stays, so their messages are not stored again."
                    }
                    (post_form(session, &format!("/c/{}/erase", c.id.0), "Erase this customer", html! {
                        label for="erase-confirm" { "Type ERASE to confirm" }
                        input #erase-confirm name="confirm" autocomplete="off" required;
                        button.danger type="submit" { "Erase for good" }
                    }))
                }
            }
        }
    }
}

/// Find another contact of the same person, merge it in; undo a merge.
fn same_person(
    session: &Session,
    c: &Conversation,
    merges: &[ContactMerge],
    found: Option<(&str, &[Contact])>,
    suggested: &[Suggested],
) -> Markup {
    html! {
        h3 { "Same person elsewhere?" }
        @if !suggested.is_empty() {
            ul.suggested aria-label="Suggested matches" {
                @for s in suggested {
                    li {
                        strong { (s.contact.display_name.as_deref().unwrap_or("(no name)")) }
                        " · contact " (s.contact.id.0)
                        " · score " (format!("{:.1}", s.score))
                        @if s.conflict { " · " strong { "different email or phone" } }
                        br;
                        span.muted {
                            @for (n, p) in s.parts.iter().filter(|p| p.weight.abs() >= 0.5).enumerate() {
                                @if n > 0 { ", " }
                                (p.field) " " (p.level) " " (format!("{:+.1}", p.weight))
                            }
                        }
                        (post_form(session, &format!("/c/{}/merge", c.id.0),
                            &format!("Merge suggested contact {}", s.contact.id.0), html! {
                            input type="hidden" name="other_id" value=(s.contact.id.0);
                            button type="submit" { "Same person: merge" }
                        }))
                        (post_form(session, &format!("/c/{}/not-same", c.id.0),
                            &format!("Reject suggested contact {}", s.contact.id.0), html! {
                            input type="hidden" name="other_id" value=(s.contact.id.0);
                            button type="submit" { "Not the same person" }
                        }))
                    }
                }
            }
        }
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

/// The customer of conversation `id`, or why there is none.
async fn customer_of(
    state: &AppState,
    ws: earshot_core::WorkspaceId,
    id: i64,
) -> StoreResult<ContactId> {
    match state.store.get_conversation(ws, ConversationId(id)).await? {
        Some(c) => Ok(c.contact_id),
        None => Err(earshot_core::StoreError::NotFound {
            what: "conversation",
            id,
        }),
    }
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
    let result = match customer_of(&state, ws, id).await {
        Ok(contact) => state
            .store
            .merge_contacts(
                ws,
                contact,
                ContactId(form.other_id),
                earshot_core::time::now(),
            )
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    after_change(&state, &session, id, result).await
}

/// "Not the same person": the suggestion is remembered as rejected.
pub(crate) async fn not_same(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<MergeForm>,
) -> Response {
    if let Err(r) = session.check(&form.csrf) {
        return r;
    }
    let ws = session.user.workspace_id;
    let result = match customer_of(&state, ws, id).await {
        Ok(contact) => {
            earshot_engine::suggestions::reject(
                state.store.as_ref(),
                ws,
                contact,
                ContactId(form.other_id),
            )
            .await
        }
        Err(e) => Err(e),
    };
    after_change(&state, &session, id, result).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

/// Erases the conversation's customer (admins, confirmed by typing ERASE); the conversation
/// is gone with them, so the page goes back to the inbox.
pub(crate) async fn erase(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<EraseForm>,
) -> Response {
    if let Err(r) = session.check(&form.csrf) {
        return r;
    }
    if !session.is_admin() {
        return crate::web::refused(
            axum::http::StatusCode::FORBIDDEN,
            "Only admins can erase a customer.",
        );
    }
    if form.confirm.trim() != "ERASE" {
        return crate::web::refused(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "Nothing was erased: type ERASE to confirm.",
        );
    }
    let ws = session.user.workspace_id;
    let result = match customer_of(&state, ws, id).await {
        Ok(contact) => {
            earshot_engine::privacy::erase(state.store.as_ref(), ws, contact, &session.user.email)
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => after_change(&state, &session, id, Err(e)).await,
    }
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
