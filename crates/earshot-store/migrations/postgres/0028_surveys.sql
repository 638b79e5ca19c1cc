-- Satisfaction surveys (CSAT 1-5 or NPS 0-10). A workspace's settings: the scale, how long
-- after a resolution the question goes, the channel kinds it goes on (a JSON array; empty:
-- all) and the question as sent.
CREATE TABLE survey_settings (
    workspace_id   BIGINT NOT NULL PRIMARY KEY REFERENCES workspaces(id),
    scale          TEXT    NOT NULL CHECK (scale IN ('csat', 'nps')),
    delay_minutes  INTEGER NOT NULL CHECK (delay_minutes >= 0),
    channels       TEXT    NOT NULL,
    question       TEXT    NOT NULL,
    updated_at     BIGINT  NOT NULL
);
-- One survey per conversation, ever: written in the same transaction as the change that
-- first resolves it (a later resolution only moves a question not yet sent). The agent and
-- team are the conversation's at its resolution (what reports group by). No foreign keys to
-- conversations or messages: an answer stays counted when retention deletes the messages
-- (the comment goes with them) or a conversation is merged away.
CREATE TABLE surveys (
    id                 BIGSERIAL PRIMARY KEY,
    workspace_id       BIGINT NOT NULL REFERENCES workspaces(id),
    conversation_id    BIGINT  NOT NULL UNIQUE,
    contact_id         BIGINT  NOT NULL,
    channel_id         BIGINT  NOT NULL,
    scale              TEXT    NOT NULL CHECK (scale IN ('csat', 'nps')),
    state              TEXT    NOT NULL CHECK (state IN ('scheduled', 'sent', 'not_sent', 'answered')),
    due_at             BIGINT,
    agent_id           BIGINT,
    team_id            BIGINT,
    reason             TEXT,
    message_id         BIGINT,
    sent_at            BIGINT,
    score              INTEGER,
    comment            TEXT,
    sentiment          TEXT,
    answer_message_id  BIGINT,
    answered_at        BIGINT,
    created_at         BIGINT  NOT NULL
);
-- What the timer worker sends next; the surveys awaiting an answer, by customer; reports by
-- when the survey was made.
CREATE INDEX surveys_due ON surveys (due_at, id) WHERE state = 'scheduled' AND due_at IS NOT NULL;
CREATE INDEX surveys_by_contact ON surveys (contact_id, channel_id, state);
-- Whether a workspace has any question waiting for its answer (ingest asks for every batch).
CREATE INDEX surveys_sent ON surveys (workspace_id, sent_at) WHERE state = 'sent';
CREATE INDEX surveys_by_time ON surveys (workspace_id, created_at);
