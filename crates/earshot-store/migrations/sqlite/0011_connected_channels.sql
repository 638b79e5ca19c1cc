-- Channels joined to their platforms (a connector, settings, secrets sealed by the engine),
-- the durable queue of the webhook calls they receive, and each reply's delivery state as
-- the platform reports it.
ALTER TABLE channels ADD COLUMN connector TEXT;
ALTER TABLE channels ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE channels ADD COLUMN sealed_secrets TEXT;
ALTER TABLE channels ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'needs_reauth'));
ALTER TABLE channels ADD COLUMN status_reason TEXT;
ALTER TABLE channels ADD COLUMN connected_at BIGINT;
ALTER TABLE channels ADD COLUMN updated_at BIGINT;

CREATE TABLE webhook_calls (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces(id),
    channel_id    INTEGER NOT NULL REFERENCES channels(id),
    body          BLOB    NOT NULL,
    received_at   BIGINT  NOT NULL,
    processed_at  BIGINT,
    outcome       TEXT
);
CREATE INDEX webhook_calls_pending ON webhook_calls (id) WHERE processed_at IS NULL;

ALTER TABLE outbox ADD COLUMN delivery TEXT NOT NULL DEFAULT 'queued'
    CHECK (delivery IN ('queued', 'sent', 'delivered', 'read', 'failed', 'not_sent'));
ALTER TABLE outbox ADD COLUMN platform_id TEXT;
ALTER TABLE outbox ADD COLUMN delivery_at BIGINT;
CREATE INDEX outbox_by_platform_id ON outbox (workspace_id, platform_id)
    WHERE platform_id IS NOT NULL;
-- Before this version no reply reached a platform: those marked sent were only recorded.
UPDATE outbox SET delivery = 'not_sent',
    last_error = 'recorded before Earshot had senders for the platforms: never sent'
    WHERE kind = 'reply' AND status = 'sent';
UPDATE outbox SET delivery = status WHERE kind <> 'reply' AND status IN ('sent', 'failed');
UPDATE outbox SET delivery = 'failed' WHERE kind = 'reply' AND status = 'failed';

ALTER TABLE messages ADD COLUMN deleted_at BIGINT;
