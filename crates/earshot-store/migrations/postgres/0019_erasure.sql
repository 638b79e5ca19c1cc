-- The right to erasure. An erased person leaves only a salted hash of each identity (channel
-- kind + platform id) so that a re-import or a platform's re-delivery does not bring them back;
-- the salt is the workspace's own, made at its first erasure. Every privacy action (export,
-- erasure) is on the privacy log with who and when, and never with what was erased.
ALTER TABLE workspaces ADD COLUMN erasure_salt TEXT;
CREATE TABLE erased_identities (
    workspace_id  BIGINT  NOT NULL REFERENCES workspaces(id),
    hash          TEXT    NOT NULL,
    erased_at     BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, hash)
);
CREATE TABLE privacy_log (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT  NOT NULL REFERENCES workspaces(id),
    action        TEXT    NOT NULL,
    contact_id    BIGINT  NOT NULL,
    actor         TEXT    NOT NULL,
    at            BIGINT  NOT NULL,
    detail        TEXT    NOT NULL
);
CREATE INDEX privacy_log_by_workspace ON privacy_log (workspace_id, id);
