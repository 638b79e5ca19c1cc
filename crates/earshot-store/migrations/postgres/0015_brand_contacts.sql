-- The brand's own accounts (the authors of its outbound messages) are not customers: their
-- contacts are marked, and left out of the contact list and of merges.
ALTER TABLE contacts ADD COLUMN brand BOOLEAN NOT NULL DEFAULT FALSE;
-- One pass over the messages (grouped by author), not a lookup per identity.
UPDATE contacts SET brand = TRUE WHERE id IN (
    SELECT i.contact_id FROM identities i JOIN (
        SELECT identity_id,
               SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) AS sent,
               SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END) AS received
        FROM messages GROUP BY identity_id
    ) d ON d.identity_id = i.id
    WHERE d.sent > 0 AND d.received = 0);
