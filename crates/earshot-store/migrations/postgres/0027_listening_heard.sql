-- What a listening post that matched no topic said: kept for a week after it was heard, beside
-- its count, so an agent can read what was heard and open a conversation from a post that
-- matters (share of voice needs only the count in listening_unmatched; the timer worker
-- deletes these rows a week after `heard_at`, sooner under a shorter retention policy, and
-- erasure deletes the erased person's).
CREATE TABLE listening_heard (
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    channel_id    BIGINT NOT NULL REFERENCES channels(id),
    external_id   TEXT    NOT NULL,
    sent_at       BIGINT NOT NULL,
    heard_at      BIGINT NOT NULL,
    -- The author's platform id (erasure finds the person's posts by it).
    author_id     TEXT    NOT NULL,
    -- Its words, lower-cased (what agents search).
    text          TEXT    NOT NULL,
    -- The post as the normalized format writes it (text, author, url, the platform's payload).
    post          TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, channel_id, external_id)
);
-- One index beside the key: what agents list and what the timer forgets, per workspace, by
-- when it was heard. Erasure finds a person's posts without one (it is rare; every post
-- written pays for an index).
CREATE INDEX listening_heard_by_time ON listening_heard (workspace_id, heard_at);
