//! Identity resolution at ingest: every author of the fresh messages is found, or created
//! with a contact of their own; profiles that changed are refreshed.

use super::*;

/// What identity resolution found for a batch.
pub(super) struct Resolved<'b> {
    /// (kind, external id) → (identity id, contact id).
    pub identity_of: HashMap<(ChannelKind, &'b str), (i64, i64)>,
    /// The identities this batch created.
    pub created: HashSet<(ChannelKind, &'b str)>,
    /// The identities whose profile this batch changed.
    pub changed: HashSet<(ChannelKind, &'b str)>,
}

/// Finds or creates the identity (and, for a new one, its contact) of every author in the
/// fresh messages, refreshing profiles that changed. Returns (kind, external id) →
/// (identity id, contact id), the keys of the identities it created, and of those whose
/// profile changed.
pub(super) async fn resolve_identities<'b>(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    batch: &'b [Inbound],
    fresh: &[(ChannelId, Vec<usize>)],
    now: i64,
) -> StoreResult<Resolved<'b>> {
    // The latest profile of each author in the batch wins.
    let mut latest: HashMap<(ChannelKind, &'b str), &'b Inbound> = HashMap::new();
    for (_, items) in fresh {
        for &i in items {
            let m = &batch[i];
            latest
                .entry((m.channel, m.author.external_id.as_str()))
                .and_modify(|seen| {
                    if m.created_at >= seen.created_at {
                        *seen = m;
                    }
                })
                .or_insert(m);
        }
    }
    let mut by_kind: HashMap<ChannelKind, Vec<&'b str>> = HashMap::new();
    for (kind, ext) in latest.keys() {
        by_kind.entry(*kind).or_default().push(ext);
    }

    let mut resolved = HashMap::new();
    let mut changed = HashSet::new();
    let mut missing: Vec<(ChannelKind, &'b str)> = Vec::new();
    for (kind, externals) in &mut by_kind {
        externals.sort_unstable();
        let stored: HashMap<String, IdentityRow> = tx
            .identities(ws, *kind, externals)
            .await?
            .into_iter()
            .map(|r| (r.external_id.clone(), r))
            .collect();
        for ext in externals.iter() {
            match stored.get(*ext) {
                Some(row) => {
                    let wanted = refreshed(row, latest[&(*kind, *ext)]);
                    if !row.same_profile(&wanted) {
                        tx.update_identity(ws, &wanted, now).await?;
                        changed.insert((*kind, *ext));
                    }
                    resolved.insert((*kind, *ext), (row.id, row.contact_id));
                }
                None => missing.push((*kind, ext)),
            }
        }
    }
    if missing.is_empty() {
        return Ok(Resolved {
            identity_of: resolved,
            created: HashSet::new(),
            changed,
        });
    }
    missing.sort_unstable();
    let contact_ids = tx.allocate_ids(IdTable::Contacts, missing.len()).await?;
    let identity_ids = tx.allocate_ids(IdTable::Identities, missing.len()).await?;
    let mut contacts = Vec::with_capacity(missing.len());
    let mut identities = Vec::with_capacity(missing.len());
    for ((key, &contact_id), &identity_id) in missing.iter().zip(&contact_ids).zip(&identity_ids) {
        let m = latest[key];
        contacts.push(ContactRow {
            id: contact_id,
            display_name: m
                .author
                .display_name
                .clone()
                .or_else(|| m.author.handle.clone()),
            brand: m.direction == Direction::Out,
        });
        identities.push(profile_row(identity_id, contact_id, m));
        resolved.insert(*key, (identity_id, contact_id));
    }
    tx.insert_contacts(ws, &contacts, now).await?;
    tx.insert_identities(ws, &identities, now).await?;
    Ok(Resolved {
        identity_of: resolved,
        created: missing.into_iter().collect(),
        changed,
    })
}

/// A stored profile updated with what the new message says; a message that says nothing of a
/// field (an X tweet without the user expansion, say) leaves it as it was.
fn refreshed(stored: &IdentityRow, m: &Inbound) -> IdentityRow {
    IdentityRow {
        handle: m.author.handle.clone().or_else(|| stored.handle.clone()),
        display_name: m
            .author
            .display_name
            .clone()
            .or_else(|| stored.display_name.clone()),
        followers: m.author.followers.map(i64::from).or(stored.followers),
        verified: m.author.verified || stored.verified,
        ..stored.clone()
    }
}

fn profile_row(id: i64, contact_id: i64, m: &Inbound) -> IdentityRow {
    IdentityRow {
        id,
        contact_id,
        kind: m.channel,
        external_id: m.author.external_id.clone(),
        handle: m.author.handle.clone(),
        display_name: m.author.display_name.clone(),
        followers: m.author.followers.map(i64::from),
        verified: m.author.verified,
    }
}
