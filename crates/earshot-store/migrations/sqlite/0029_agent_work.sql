-- Agents' work is read from their own events and from status changes (reopenings), by time:
-- only those rows are in this index, so the many events ingest writes (priority, SLA) pay
-- nothing for it.
CREATE INDEX conversation_events_agent_work ON conversation_events (workspace_id, at)
    WHERE actor = 'agent' OR kind = 'status_changed';
