-- Merging contacts, and undoing it: a merged contact keeps its row (marked merged_into) so
-- an undo gives it back exactly; each merge records what moved and the survivor's fields
-- before it.
ALTER TABLE contacts ADD COLUMN merged_into INTEGER REFERENCES contacts(id);
CREATE TABLE contact_merges (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    into_id          INTEGER NOT NULL REFERENCES contacts(id),
    from_id          INTEGER NOT NULL REFERENCES contacts(id),
    identities       TEXT    NOT NULL,
    conversations    TEXT    NOT NULL,
    survivor_before  TEXT    NOT NULL,
    merged_at        BIGINT  NOT NULL,
    undone_at        BIGINT
);
CREATE INDEX contact_merges_by_into ON contact_merges (workspace_id, into_id);
CREATE INDEX contact_merges_by_from ON contact_merges (workspace_id, from_id);
