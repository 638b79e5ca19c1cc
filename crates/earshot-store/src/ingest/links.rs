//! Deterministic identity links at ingest: the email addresses and phone numbers that the
//! batch's authors are known by (verified by their channel) or wrote in their own private
//! messages (claimed) are recorded beside their identities, and contacts that share one by
//! the rules of [`earshot_core::identifiers`] are merged — an ordinary merge, with its reason,
//! that an agent can undo.

use super::identities::Resolved;
use super::*;
use earshot_core::identifiers::{self, Identifier, IdentifierKind};
use earshot_core::identity::{blocking_keys, PersonRecord};
use earshot_core::Visibility;
use std::collections::BTreeMap;

/// Channels whose authors are accounts of a platform that signs them in; a claim written by
/// an anonymous web chat visitor could name anyone, so it joins nothing.
fn trusted_author(kind: ChannelKind) -> bool {
    !matches!(kind, ChannelKind::WebChat | ChannelKind::Review)
}

/// A contact the batch's identifiers may join, as the link step tracks it.
struct Side {
    name: Option<String>,
    verified: BTreeMap<IdentifierKind, BTreeSet<String>>,
}

/// Two different verified identifiers of one kind (two emails, two phones): perhaps two
/// people, so nothing joins them without a person deciding.
fn conflict(a: &Side, b: &Side) -> bool {
    a.verified.iter().any(|(kind, mine)| {
        b.verified
            .get(kind)
            .is_some_and(|theirs| mine.is_disjoint(theirs))
    })
}

/// Records the matcher's blocking keys of the identities the batch created or changed and
/// the batch's identifiers, and merges the contacts the identifiers link.
pub(super) async fn link_identities(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    batch: &[Inbound],
    fresh: &[(ChannelId, Vec<usize>)],
    resolved: &Resolved<'_>,
    message_id_of: &HashMap<usize, i64>,
    now: Timestamp,
) -> StoreResult<()> {
    let identity_of = &resolved.identity_of;
    let mut keys: BTreeSet<(i64, String)> = BTreeSet::new();
    // (identity, kind, value) → (verified, message); verified wins over a claim.
    let mut found: BTreeMap<(i64, IdentifierKind, String), (bool, Option<i64>)> = BTreeMap::new();
    let mut contact_of_identity: HashMap<i64, i64> = HashMap::new();
    for (_, items) in fresh {
        for &i in items {
            let m = &batch[i];
            if m.direction != Direction::In {
                continue;
            }
            let key = (m.channel, m.author.external_id.as_str());
            let Some(&(identity, contact)) = identity_of.get(&key) else {
                continue;
            };
            let mut add = |id: Identifier, verified: bool, message: Option<i64>| {
                let slot = found
                    .entry((identity, id.kind, id.value))
                    .or_insert((verified, message));
                if verified && !slot.0 {
                    *slot = (true, None);
                }
                contact_of_identity.insert(identity, contact);
            };
            let profile = m.author.email.is_some() || m.author.phone.is_some();
            let created = resolved.created.contains(&key);
            if created || resolved.changed.contains(&key) {
                let record = PersonRecord {
                    names: m.author.display_name.iter().cloned().collect(),
                    handles: m.author.handle.iter().cloned().collect(),
                    ..PersonRecord::default()
                };
                keys.extend(blocking_keys(&record).into_iter().map(|k| (identity, k)));
            }
            if created || profile {
                for id in identifiers::verified_of(m) {
                    add(id, true, None);
                }
            }
            if m.visibility == Visibility::Private
                && trusted_author(m.channel)
                && m.author.display_name.is_some()
            {
                let signature = m.signature.as_deref().map(identifiers::written_in);
                for id in identifiers::written_in(&m.text)
                    .into_iter()
                    .chain(signature.into_iter().flatten())
                {
                    add(id, false, message_id_of.get(&i).copied());
                }
            }
        }
    }
    for (identity, kind, value) in found.keys() {
        let mut record = PersonRecord::default();
        match kind {
            IdentifierKind::Email => record.emails.push(value.clone()),
            IdentifierKind::Phone => record.phones.push(value.clone()),
        }
        keys.extend(blocking_keys(&record).into_iter().map(|k| (*identity, k)));
    }
    if !keys.is_empty() {
        let keys: Vec<(i64, String)> = keys.into_iter().collect();
        tx.insert_identity_keys(ws, &keys).await?;
    }
    if found.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewIdentifier> = found
        .iter()
        .map(
            |((identity, kind, value), (verified, message))| NewIdentifier {
                identity_id: *identity,
                kind: *kind,
                value: value.clone(),
                verified: *verified,
                message_id: *message,
            },
        )
        .collect();
    tx.insert_identifiers(ws, &rows, to_millis(now)).await?;

    let keys: BTreeSet<(IdentifierKind, &str)> =
        rows.iter().map(|r| (r.kind, r.value.as_str())).collect();
    let keys: Vec<(IdentifierKind, &str)> = keys.into_iter().collect();
    let holders = tx.identifier_holders(ws, &keys).await?;
    // Only live customer contacts (the holders) can be joined.
    let mut sides: HashMap<i64, Side> = HashMap::new();
    for h in &holders {
        sides.entry(h.contact_id).or_insert_with(|| Side {
            name: h.display_name.clone(),
            verified: BTreeMap::new(),
        });
    }
    let ids: Vec<i64> = sides.keys().copied().collect();
    for (contact, kind, value) in tx.verified_identifiers(ws, &ids).await? {
        if let Some(side) = sides.get_mut(&contact) {
            side.verified.entry(kind).or_default().insert(value);
        }
    }
    // Contacts merged away by this step, and into what.
    let mut merged: HashMap<i64, i64> = HashMap::new();
    let live = |merged: &HashMap<i64, i64>, mut c: i64| {
        while let Some(&into) = merged.get(&c) {
            c = into;
        }
        c
    };
    for r in &rows {
        let Some(&own) = contact_of_identity.get(&r.identity_id) else {
            continue;
        };
        let a = live(&merged, own);
        // The other contacts holding it in a way that, with this one, makes a link: a verified
        // identifier meets a verified one or a claim; a claim needs a verified one.
        let others: BTreeSet<i64> = holders
            .iter()
            .filter(|h| h.kind == r.kind && h.value == r.value)
            .filter(|h| r.verified || h.verified)
            .map(|h| live(&merged, h.contact_id))
            .filter(|c| *c != a)
            .collect();
        let [b] = others.into_iter().collect::<Vec<_>>()[..] else {
            continue;
        };
        let (Some(side_a), Some(side_b)) = (sides.get(&a), sides.get(&b)) else {
            continue;
        };
        if conflict(side_a, side_b) || tx.rejected_pair(ws, a, b).await? {
            continue;
        }
        let both_verified = r.verified
            && holders.iter().any(|h| {
                h.kind == r.kind
                    && h.value == r.value
                    && h.verified
                    && live(&merged, h.contact_id) == b
            });
        if !both_verified {
            // A claim is confirmed only by names that agree, both known.
            if side_a.name.is_none()
                || side_b.name.is_none()
                || !identifiers::names_compatible(side_a.name.as_deref(), side_b.name.as_deref())
            {
                continue;
            }
        }
        let shown = Identifier {
            kind: r.kind,
            value: r.value.clone(),
        }
        .display();
        let reason = if both_verified {
            format!("the same {} {shown}, verified on both", r.kind.as_str())
        } else if r.verified {
            format!(
                "{} {shown}: contact {b} wrote it, contact {a}'s channel verifies it",
                r.kind.as_str()
            )
        } else {
            let at = r
                .message_id
                .map(|m| format!(" in message {m}"))
                .unwrap_or_default();
            format!(
                "{} {shown}: contact {a} wrote it{at}, contact {b}'s channel verifies it",
                r.kind.as_str()
            )
        };
        // The older contact stays.
        let (into, from) = (a.min(b), a.max(b));
        tx.merge_contacts(ws, into, from, now, &reason).await?;
        merged.insert(from, into);
        let gone = sides.remove(&from).expect("both sides are known");
        let stay = sides.get_mut(&into).expect("both sides are known");
        if stay.name.is_none() {
            stay.name = gone.name;
        }
        for (kind, values) in gone.verified {
            stay.verified.entry(kind).or_default().extend(values);
        }
    }
    // Orders that came before their buyer wrote: theirs now.
    tx.attach_orders(ws, &keys, to_millis(now)).await?;
    Ok(())
}
