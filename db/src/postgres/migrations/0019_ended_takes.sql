-- Takes that ended without becoming a whole clip, so their links (sent early, maybe) say what
-- happened instead of "recording…" or nothing:
--   cancelled_takes: cancelled by their recorder while recording (`reason` 'cancelled'), or
--     stopped arriving before anything playable came ('stopped'); their bytes are gone.
--   stopped_takes: clips made of what arrived of a take whose bytes stopped coming (a closed
--     tab, a lost network): their page says where the recording stopped.
CREATE TABLE cancelled_takes (
    share_token   TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         TEXT,
    reason        TEXT NOT NULL DEFAULT 'cancelled',
    started_at    TEXT NOT NULL,
    cancelled_at  TEXT NOT NULL
);

CREATE TABLE stopped_takes (
    clip_id     TEXT PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
    stopped_at  TEXT NOT NULL
);
