-- Accounts, sign-in tokens, clip ownership and sharing.

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    email         TEXT NOT NULL UNIQUE,       -- stored lower-case
    display_name  TEXT NOT NULL,
    time_zone     TEXT NOT NULL,              -- IANA, e.g. 'Europe/Berlin'
    password_hash TEXT NOT NULL,              -- argon2id, PHC string
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT NOT NULL
);

-- Web sessions (cookie) and API tokens (recorder): only a SHA-256 of the secret is kept, so a
-- copy of the database signs nobody in.
CREATE TABLE auth_tokens (
    token_hash   TEXT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,        -- public handle, for listing and revoking
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,               -- 'session' | 'api'
    label        TEXT,
    csrf_token   TEXT,                        -- sessions: what cookie-authenticated writes must echo
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);

CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

-- Who owns a clip and who may see it. Clips stored before accounts have no owner: only admins
-- see those.
ALTER TABLE clips ADD COLUMN owner_id TEXT REFERENCES users (id);
ALTER TABLE clips ADD COLUMN workspace_id TEXT REFERENCES workspaces (id);
ALTER TABLE clips ADD COLUMN visibility TEXT NOT NULL DEFAULT 'workspace';   -- 'workspace' | 'link'
ALTER TABLE clips ADD COLUMN share_token TEXT;           -- the link's secret; NULL once revoked
ALTER TABLE clips ADD COLUMN share_expires_at TEXT;      -- RFC 3339 UTC, or NULL for never
ALTER TABLE clips ADD COLUMN guests_may_reply BOOLEAN NOT NULL DEFAULT FALSE;

CREATE UNIQUE INDEX clips_share_token ON clips (share_token);
CREATE INDEX clips_workspace_newest_first ON clips (workspace_id, created_at DESC, id DESC);
