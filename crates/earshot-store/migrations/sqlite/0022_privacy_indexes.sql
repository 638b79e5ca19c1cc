-- Erasure and retention delete parents whose children the foreign keys check: these indexes
-- keep each check a lookup instead of a scan (partial where the column is mostly empty).
-- messages(identity_id) is left out on purpose: it would cost every ingest, and only an
-- erasure (rare) reads by it.
CREATE INDEX identifiers_by_identity ON identifiers (identity_id);
CREATE INDEX identifiers_by_message ON identifiers (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX consent_events_by_message ON consent_events (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX outbox_by_message ON outbox (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX contacts_merged_into ON contacts (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX contact_match_rejections_by_hi ON contact_match_rejections (workspace_id, hi);
