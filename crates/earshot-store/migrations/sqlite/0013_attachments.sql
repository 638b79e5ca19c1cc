-- What a message carried besides its text (media with type, size and the platform's id,
-- places, contact cards), as a JSON array; NULL when nothing.
ALTER TABLE messages ADD COLUMN attachments TEXT;
