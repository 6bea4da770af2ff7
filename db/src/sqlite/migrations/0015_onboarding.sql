-- A team gets in by itself: working hours and removal for members, invitations, and the
-- one-time setup links of a server that has no users yet.

-- {"mon": ["09:00", "17:30"], …} in the member's own zone; NULL: Monday to Friday, 09:00–17:00.
ALTER TABLE users ADD COLUMN working_hours TEXT;
-- A removed member signs in no more; their messages stay, under their name. Their email is
-- freed (rewritten) so that they can be invited again.
ALTER TABLE users ADD COLUMN removed_at TEXT;

-- Only a SHA-256 of an invite's token is kept: the link is shown once, when it is made.
CREATE TABLE invites (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    token_hash    TEXT NOT NULL UNIQUE,
    email         TEXT,                       -- the one address it admits, lower-case; NULL: any
    created_by    TEXT NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    max_uses      INTEGER,                    -- NULL: no limit
    uses          INTEGER NOT NULL DEFAULT 0,
    revoked_at    TEXT
);

CREATE INDEX invites_workspace ON invites (workspace_id, created_at);

-- Printed at start while there are no users; all gone once the first admin exists.
CREATE TABLE setup_tokens (
    token_hash  TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL
);
