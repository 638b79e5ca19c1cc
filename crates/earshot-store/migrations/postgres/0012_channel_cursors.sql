-- Where a channel's poller got to (an IMAP mailbox's UIDVALIDITY and last UID), so a restart
-- fetches what arrived while Earshot was down, and nothing twice.
ALTER TABLE channels ADD COLUMN cursor TEXT;
