-- Topics each stored message matched.
CREATE TABLE message_topics (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    message_id    INTEGER NOT NULL REFERENCES messages(id),
    topic_id      INTEGER NOT NULL,
    PRIMARY KEY (message_id, topic_id)
);
CREATE INDEX message_topics_by_topic ON message_topics (workspace_id, topic_id);

-- Posts from listening sources that matched no topic: not stored as messages and opening no
-- conversation, but remembered (for dedupe) and counted (for share of voice).
CREATE TABLE listening_unmatched (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    channel_id    INTEGER NOT NULL REFERENCES channels(id),
    external_id   TEXT    NOT NULL,
    sent_at       INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, channel_id, external_id)
);
