-- How long a workspace keeps messages and their native payloads: on every channel
-- (channel_id 0) or on one channel, which then overrides the workspace's. Older messages are
-- deleted by the timer worker in bounded batches; conversations left empty go with them.
CREATE TABLE retention_policies (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    channel_id    BIGINT  NOT NULL DEFAULT 0,
    days          INTEGER NOT NULL CHECK (days >= 1),
    PRIMARY KEY (workspace_id, channel_id)
);
CREATE INDEX messages_by_sent_at ON messages (workspace_id, sent_at);
