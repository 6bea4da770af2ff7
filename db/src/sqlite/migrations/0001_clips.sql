-- Clips and what ingest learned about them. Written so Postgres can take it as is: TEXT ids,
-- timestamps as RFC 3339 text in UTC, BOOLEAN as 0/1 integers, no SQLite-only types.
CREATE TABLE clips (
    id                  TEXT PRIMARY KEY,
    title               TEXT NOT NULL,
    author              TEXT,               -- display name given at upload (accounts come later)
    created_at          TEXT NOT NULL,      -- when the server stored it, UTC
    recorded_at         TEXT,               -- when recording started, UTC, if the file says
    recorded_utc_offset INTEGER,            -- the recorder's UTC offset then, in minutes
    status              TEXT NOT NULL,      -- 'ready'
    container           TEXT NOT NULL,      -- 'ogg' | 'webm'
    content_type        TEXT NOT NULL,
    audio_codec         TEXT NOT NULL,      -- 'opus'
    video_codec         TEXT,               -- e.g. 'vp8', when there is video
    has_video           INTEGER NOT NULL,
    width               INTEGER,
    height              INTEGER,
    channels            INTEGER NOT NULL,
    sample_rate         INTEGER NOT NULL,   -- the original input rate the file declares
    duration_ms         INTEGER NOT NULL,
    byte_size           INTEGER NOT NULL,
    sha256              TEXT NOT NULL,
    storage_key         TEXT NOT NULL UNIQUE,
    peaks_per_second    INTEGER NOT NULL,
    peaks               BLOB NOT NULL,      -- one byte (0-255) per window
    silences            TEXT NOT NULL       -- JSON [[start_ms, end_ms], ...]
);

CREATE INDEX clips_newest_first ON clips (created_at DESC, id DESC);
