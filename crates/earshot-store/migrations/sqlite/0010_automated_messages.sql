-- Outbound messages sent by automation (a rule's acknowledgement): stored and shown, but not
-- an answer to the customer, so they set no first response and end no wait.
ALTER TABLE messages ADD COLUMN automated INTEGER NOT NULL DEFAULT 0;
