-- Resumable uploads (tus 1.0: core, creation with deferred length, termination). The bytes
-- live in <data-dir>/uploads/<id>.part until the session is finished; the row says how many of
-- them are safely on disk.
CREATE TABLE upload_sessions (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    length      INTEGER,                  -- NULL while deferred (a recording still going)
    "offset"    INTEGER NOT NULL DEFAULT 0,
    title       TEXT,
    clip_id     TEXT REFERENCES clips (id) ON DELETE SET NULL,  -- once finished
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE INDEX upload_sessions_idle ON upload_sessions (updated_at);
