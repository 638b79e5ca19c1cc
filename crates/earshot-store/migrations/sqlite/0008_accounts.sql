-- People who sign in to the web UI (issue 6), and their sessions. Passwords are argon2id
-- hashes; a session is stored as the SHA-256 of its cookie value, with its CSRF token.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    workspace_id   INTEGER NOT NULL REFERENCES workspaces(id),
    email          TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'agent')),
    agent_id       INTEGER REFERENCES agents(id),
    password_hash  TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf_token  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
