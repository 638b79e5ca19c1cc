-- Earshot foundation schema (SQLite). Timestamps are milliseconds since the Unix epoch, UTC.
-- Every table carries workspace_id; every query filters on it.

CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    label         TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL
);

CREATE TABLE channels (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    kind          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owned', 'listening')),
    created_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, kind, name)
);

CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    display_name  TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX contacts_by_workspace ON contacts (workspace_id, id);

CREATE TABLE identities (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    contact_id    INTEGER NOT NULL REFERENCES contacts(id),
    kind          TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    handle        TEXT,
    display_name  TEXT,
    followers     INTEGER,
    verified      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (workspace_id, kind, external_id)
);
CREATE INDEX identities_by_contact ON identities (contact_id);

CREATE TABLE teams (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT    NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    team_id       INTEGER REFERENCES teams(id),
    UNIQUE (workspace_id, email)
);

CREATE TABLE conversations (
    id                 INTEGER PRIMARY KEY,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces(id),
    channel_id         INTEGER NOT NULL REFERENCES channels(id),
    contact_id         INTEGER NOT NULL REFERENCES contacts(id),
    status             TEXT    NOT NULL CHECK (status IN ('new', 'open', 'pending', 'snoozed', 'resolved')),
    priority           INTEGER NOT NULL DEFAULT 0,
    assignee_id        INTEGER REFERENCES agents(id),
    team_id            INTEGER REFERENCES teams(id),
    message_count      INTEGER NOT NULL DEFAULT 0,
    first_message_at   INTEGER NOT NULL,
    last_message_at    INTEGER NOT NULL,
    first_response_at  INTEGER,
    waiting_since      INTEGER,
    -- waiting_since, or the largest integer when nobody waits: the inbox sorts on it.
    waiting_key        INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX conversations_inbox ON conversations (workspace_id, priority DESC, waiting_key, id);
CREATE INDEX conversations_by_status ON conversations (workspace_id, status, priority DESC, waiting_key, id);
CREATE INDEX conversations_by_assignee ON conversations (workspace_id, assignee_id, priority DESC, waiting_key, id);
CREATE INDEX conversations_by_updated ON conversations (workspace_id, updated_at);

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    channel_id       INTEGER NOT NULL REFERENCES channels(id),
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    identity_id      INTEGER NOT NULL REFERENCES identities(id),
    external_id      TEXT    NOT NULL,
    direction        TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    visibility       TEXT    NOT NULL CHECK (visibility IN ('public', 'private')),
    text             TEXT    NOT NULL,
    sent_at          INTEGER NOT NULL,
    received_at      INTEGER NOT NULL,
    in_reply_to      TEXT,
    raw              TEXT    NOT NULL,
    UNIQUE (workspace_id, channel_id, external_id)
);
CREATE INDEX messages_by_parent ON messages (workspace_id, channel_id, in_reply_to) WHERE in_reply_to IS NOT NULL;
-- Leads with conversation_id: the thread query and the foreign-key check on merges need it.
CREATE INDEX messages_by_conversation ON messages (conversation_id, sent_at, id);
