-- The web inbox and dashboard (issue 6). Each conversation carries the sentiment and intents
-- of its newest enriched customer message, so the inbox shows and filters on them and the
-- dashboard counts them without reading messages; the indexes serve the dashboard's ranges
-- as index scans: volume by the UTC day conversations began (an expression index, so the
-- counts per day, channel and sentiment stream out in index order without a sort), first
-- responses by the minutes waited, SLA events by kind and time, open conversations per
-- status, agent and team; and a customer's other conversations.
ALTER TABLE conversations ADD COLUMN sentiment TEXT;
-- JSON array of intent names, e.g. ["complaint","question"].
ALTER TABLE conversations ADD COLUMN intents TEXT;

UPDATE conversations SET
    sentiment = (SELECT e.sentiment FROM messages m JOIN message_enrichments e ON e.message_id = m.id
                 WHERE m.conversation_id = conversations.id AND m.direction = 'in'
                 ORDER BY m.sent_at DESC, m.id DESC LIMIT 1),
    intents = (SELECT e.intents FROM messages m JOIN message_enrichments e ON e.message_id = m.id
               WHERE m.conversation_id = conversations.id AND m.direction = 'in'
               ORDER BY m.sent_at DESC, m.id DESC LIMIT 1);

CREATE INDEX conversations_by_started_day ON conversations (workspace_id, (first_message_at / 86400000), channel_id, sentiment);
-- Only the contact: a customer has a handful of conversations, sorted after the lookup, and
-- ingest's priority and waiting updates never touch this index.
CREATE INDEX conversations_by_contact ON conversations (contact_id);
-- Answered conversations in the order of the minutes the customer waited, with when: the
-- first-response histogram streams out of it without a sort (the query names it).
CREATE INDEX conversations_first_response_minutes
    ON conversations (workspace_id, ((first_response_at - first_message_at) / 60000), first_response_at)
    WHERE first_response_at IS NOT NULL;
CREATE INDEX conversations_open_by_agent ON conversations (workspace_id, status, assignee_id, team_id);
-- Only the SLA outcomes the dashboard counts: ingest's many other events skip this index.
CREATE INDEX conversation_events_sla ON conversation_events (workspace_id, kind, at)
    WHERE kind IN ('sla_answered', 'sla_breach');
CREATE INDEX users_by_workspace ON users (workspace_id, id);

-- Replies agents use often, inserted into the reply box by name.
CREATE TABLE saved_replies (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    name          TEXT   NOT NULL,
    text          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);
