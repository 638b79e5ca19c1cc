-- Each contact's consent, as a ledger: every change appended, never overwritten; the
-- contact's opted_out follows from it. Merges move a contact's ledger and remember which
-- rows moved, so an undo moves them back.
CREATE TABLE consent_events (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id    INTEGER NOT NULL REFERENCES contacts(id),
    purposes      TEXT    NOT NULL,
    channel       TEXT,
    granted       INTEGER NOT NULL,
    at            BIGINT  NOT NULL,
    how           TEXT    NOT NULL,
    message_id    INTEGER REFERENCES messages(id)
);
CREATE INDEX consent_events_by_contact ON consent_events (contact_id, id);
ALTER TABLE contact_merges ADD COLUMN consent TEXT NOT NULL DEFAULT '[]';
