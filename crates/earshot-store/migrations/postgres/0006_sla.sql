-- When the conversation's current service-level target is due (the customer's oldest
-- unanswered message plus the policy's target on its calendar), NULL when nobody waits. The
-- SLA worker finds what is due with the partial index, across workspaces.
ALTER TABLE conversations ADD COLUMN sla_due_at BIGINT;
CREATE INDEX conversations_sla_due ON conversations (sla_due_at, id) WHERE sla_due_at IS NOT NULL;
