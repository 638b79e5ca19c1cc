-- The identity matcher's blocking keys beside each identity (a surname, a handle's letters, an
-- email's local part, a number's last digits…): the contacts sharing a key with a contact are
-- the candidates its suggestions are scored against, so the cost grows with the candidates,
-- not with every pair. Kept by ingest; filled for older identities when the store opens.
CREATE TABLE identity_keys (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    identity_id   INTEGER NOT NULL REFERENCES identities(id),
    key           TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, key, identity_id)
);
CREATE INDEX identity_keys_by_identity ON identity_keys (identity_id);
-- Suggestions an agent said are two people: never suggested again (lo < hi).
CREATE TABLE contact_match_rejections (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    lo            INTEGER NOT NULL REFERENCES contacts(id),
    hi            INTEGER NOT NULL REFERENCES contacts(id),
    at            BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, lo, hi)
);
