-- Earshot foundation schema (PostgreSQL). Timestamps are milliseconds since the Unix epoch, UTC.
-- Every table carries workspace_id; every query filters on it.

CREATE TABLE workspaces (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    label         TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE channels (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    kind          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owned', 'listening')),
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, kind, name)
);

CREATE TABLE contacts (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    display_name  TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX contacts_by_workspace ON contacts (workspace_id, id);

CREATE TABLE identities (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    contact_id    BIGINT NOT NULL REFERENCES contacts(id),
    kind          TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    handle        TEXT,
    display_name  TEXT,
    followers     BIGINT,
    verified      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, kind, external_id)
);
CREATE INDEX identities_by_contact ON identities (contact_id);

CREATE TABLE teams (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT    NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE agents (
    id            BIGSERIAL PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    team_id       BIGINT REFERENCES teams(id),
    UNIQUE (workspace_id, email)
);

CREATE TABLE conversations (
    id                 BIGSERIAL PRIMARY KEY,
    workspace_id       BIGINT NOT NULL REFERENCES workspaces(id),
    channel_id         BIGINT NOT NULL REFERENCES channels(id),
    contact_id         BIGINT NOT NULL REFERENCES contacts(id),
    status             TEXT    NOT NULL CHECK (status IN ('new', 'open', 'pending', 'snoozed', 'resolved')),
    priority           INTEGER NOT NULL DEFAULT 0,
    assignee_id        BIGINT REFERENCES agents(id),
    team_id            BIGINT REFERENCES teams(id),
    message_count      BIGINT NOT NULL DEFAULT 0,
    first_message_at   BIGINT NOT NULL,
    last_message_at    BIGINT NOT NULL,
    first_response_at  BIGINT,
    waiting_since      BIGINT,
    -- waiting_since, or the largest integer when nobody waits: the inbox sorts on it.
    waiting_key        BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX conversations_inbox ON conversations (workspace_id, priority DESC, waiting_key, id);
CREATE INDEX conversations_by_status ON conversations (workspace_id, status, priority DESC, waiting_key, id);
CREATE INDEX conversations_by_assignee ON conversations (workspace_id, assignee_id, priority DESC, waiting_key, id);
CREATE INDEX conversations_by_updated ON conversations (workspace_id, updated_at);

CREATE TABLE messages (
    id               BIGSERIAL PRIMARY KEY,
    workspace_id     BIGINT NOT NULL REFERENCES workspaces(id),
    channel_id       BIGINT NOT NULL REFERENCES channels(id),
    conversation_id  BIGINT NOT NULL REFERENCES conversations(id),
    identity_id      BIGINT NOT NULL REFERENCES identities(id),
    external_id      TEXT    NOT NULL,
    direction        TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    visibility       TEXT    NOT NULL CHECK (visibility IN ('public', 'private')),
    text             TEXT    NOT NULL,
    sent_at          BIGINT NOT NULL,
    received_at      BIGINT NOT NULL,
    in_reply_to      TEXT,
    raw              TEXT    NOT NULL,
    UNIQUE (workspace_id, channel_id, external_id)
);
CREATE INDEX messages_by_parent ON messages (workspace_id, channel_id, in_reply_to) WHERE in_reply_to IS NOT NULL;
-- Leads with conversation_id: the thread query and the foreign-key check on merges need it.
CREATE INDEX messages_by_conversation ON messages (conversation_id, sent_at, id);
