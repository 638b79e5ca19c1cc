-- What a connected channel last did, for admins: when its poller last read the platform,
-- when the last message or webhook call came, and the last error with its time (cleared by
-- the next success).
ALTER TABLE channels ADD COLUMN last_poll_at BIGINT;
ALTER TABLE channels ADD COLUMN last_event_at BIGINT;
ALTER TABLE channels ADD COLUMN last_error TEXT;
ALTER TABLE channels ADD COLUMN last_error_at BIGINT;
