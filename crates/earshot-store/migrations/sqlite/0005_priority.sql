-- Why a conversation has its priority: the serialized earshot_core::priority::Priority (score,
-- label, parts) computed from its newest customer message; NULL until one was scored.
ALTER TABLE conversations ADD COLUMN priority_detail TEXT;
