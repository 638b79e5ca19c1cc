-- The care workflow (issue 5): agents' skills, capacity and availability, teams' assignment
-- strategy, contacts' consent and value, conversation tags, snoozes, SLA policies, warnings
-- and pauses, the audit trail of every conversation, automation rules, the outbox of
-- replies, notifications and webhooks, and the timer workers' cursors.
ALTER TABLE agents ADD COLUMN skills TEXT NOT NULL DEFAULT '{}';
ALTER TABLE agents ADD COLUMN capacity INTEGER NOT NULL DEFAULT 10;
ALTER TABLE agents ADD COLUMN availability TEXT NOT NULL DEFAULT 'online'
    CHECK (availability IN ('online', 'away', 'offline'));
ALTER TABLE agents ADD COLUMN last_assigned_at BIGINT;
ALTER TABLE teams ADD COLUMN strategy TEXT NOT NULL DEFAULT 'least_loaded'
    CHECK (strategy IN ('least_loaded', 'round_robin'));

ALTER TABLE contacts ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN tier TEXT;
ALTER TABLE contacts ADD COLUMN value DOUBLE PRECISION;

ALTER TABLE conversations ADD COLUMN snoozed_until BIGINT;
ALTER TABLE conversations ADD COLUMN sla_policy_id BIGINT;
ALTER TABLE conversations ADD COLUMN sla_warn_at BIGINT;
-- When a policy's resolution target is due (set when a rule applies a policy that has one;
-- cleared when the conversation is resolved).
ALTER TABLE conversations ADD COLUMN resolution_due_at BIGINT;
-- Business milliseconds left on the target while the clock is paused (pending, snoozed).
ALTER TABLE conversations ADD COLUMN sla_remaining_ms BIGINT;
CREATE INDEX conversations_sla_warn ON conversations (sla_warn_at, id) WHERE sla_warn_at IS NOT NULL;
CREATE INDEX conversations_resolution_due ON conversations (resolution_due_at, id) WHERE resolution_due_at IS NOT NULL;
CREATE INDEX conversations_snoozed ON conversations (snoozed_until, id) WHERE snoozed_until IS NOT NULL;
-- Time-based rules ("unanswered for 4 hours", "idle for a day") find what crossed their line.
CREATE INDEX conversations_waiting ON conversations (waiting_since, id) WHERE waiting_since IS NOT NULL;
CREATE INDEX conversations_last_message ON conversations (last_message_at, id) WHERE status <> 'resolved';

CREATE TABLE conversation_tags (
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    tag              TEXT    NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);
CREATE INDEX conversation_tags_by_tag ON conversation_tags (workspace_id, tag);

CREATE TABLE conversation_events (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id  INTEGER NOT NULL REFERENCES conversations(id),
    at               BIGINT  NOT NULL,
    kind             TEXT    NOT NULL,
    actor            TEXT    NOT NULL CHECK (actor IN ('customer', 'agent', 'rule', 'system')),
    actor_id         BIGINT,
    data             TEXT    NOT NULL
);
CREATE INDEX conversation_events_by_conversation ON conversation_events (conversation_id, id);

CREATE TABLE rules (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    position      BIGINT  NOT NULL,
    definition    TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX rules_by_workspace ON rules (workspace_id, position, id);

CREATE TABLE sla_policies (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT    NOT NULL,
    definition    TEXT    NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces(id),
    conversation_id  INTEGER REFERENCES conversations(id),
    kind             TEXT    NOT NULL CHECK (kind IN ('reply', 'notification', 'webhook')),
    message_id       INTEGER REFERENCES messages(id),
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    last_error       TEXT,
    created_at       BIGINT  NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX outbox_by_conversation ON outbox (workspace_id, conversation_id, id);

CREATE TABLE timer_cursors (
    name   TEXT PRIMARY KEY,
    until  BIGINT NOT NULL
);
