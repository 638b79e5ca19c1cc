-- What the enrich stage found in each inbound message (earshot-nlp): the columns the inbox
-- filters and sorts on, and the whole result with its reasons as JSON (`detail`, the
-- serialized earshot_core::enrichment::Enrichment).
CREATE TABLE message_enrichments (
    message_id    INTEGER PRIMARY KEY REFERENCES messages(id),
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    language      TEXT    NOT NULL,
    sentiment     TEXT    NOT NULL,
    polarity      REAL    NOT NULL,
    urgency       REAL    NOT NULL,
    -- JSON array of the intents that hold, e.g. ["complaint","question"].
    intents       TEXT    NOT NULL,
    detail        TEXT    NOT NULL
);
