-- Strong identifiers (email addresses, phone numbers as E.164 digits) beside the identity
-- they belong to: verified when the channel or platform vouches for them, claimed when the
-- customer wrote them in a message (message_id). They follow their identity through merges
-- and undos. Contacts that share one join deterministically (earshot_core::identifiers);
-- such a join is an ordinary merge, with its reason, and can be undone.
CREATE TABLE identifiers (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    identity_id   INTEGER NOT NULL REFERENCES identities(id),
    kind          TEXT    NOT NULL,
    value         TEXT    NOT NULL,
    verified      INTEGER NOT NULL,
    message_id    INTEGER REFERENCES messages(id),
    created_at    BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, identity_id, kind, value)
);
CREATE INDEX identifiers_by_value ON identifiers (workspace_id, kind, value);
ALTER TABLE contact_merges ADD COLUMN reason TEXT;
-- What the channels already vouched for.
INSERT INTO identifiers (workspace_id, identity_id, kind, value, verified, created_at)
    SELECT workspace_id, id, 'email', lower(external_id), 1, created_at
    FROM identities WHERE kind = 'email' AND external_id LIKE '%_@_%._%';
INSERT INTO identifiers (workspace_id, identity_id, kind, value, verified, created_at)
    SELECT workspace_id, id, 'phone', external_id, 1, created_at
    FROM identities WHERE kind = 'whatsapp' AND length(external_id) BETWEEN 8 AND 15
      AND external_id NOT GLOB '*[^0-9]*' AND external_id NOT LIKE '0%';
