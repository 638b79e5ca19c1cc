-- Agents' work is read from their own events and from reopenings (a status change from
-- resolved, by anyone), by time: only those rows are in this index, so the many events
-- ingest and rules write (priority, SLA, the brand answering a new conversation, rules that
-- fired) pay nothing for it.
CREATE INDEX conversation_events_agent_work ON conversation_events (workspace_id, at)
    WHERE actor = 'agent' OR (kind = 'status_changed' AND data LIKE '%"from":"resolved"%');
