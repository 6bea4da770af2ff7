-- Offbeat's schema on PostgreSQL, as the SQLite migrations 0001–0009 leave it there: the same
-- tables, columns and meanings (ids and RFC 3339 UTC timestamps as text, so both backends
-- compare and sort them alike), with PostgreSQL's own types and full-text search.

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

-- Only a SHA-256 of each secret is kept, so a copy of the database signs nobody in.
CREATE TABLE auth_tokens (
    token_hash   TEXT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,        -- public handle, for listing and revoking
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,               -- 'session' | 'api'
    label        TEXT,
    csrf_token   TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);

CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE clips (
    id                  TEXT PRIMARY KEY,
    title               TEXT NOT NULL,
    author              TEXT,
    created_at          TEXT NOT NULL,
    recorded_at         TEXT,
    recorded_utc_offset BIGINT,              -- minutes
    status              TEXT NOT NULL,       -- 'ready' | 'deleted'
    container           TEXT NOT NULL,       -- 'ogg' | 'webm'
    content_type        TEXT NOT NULL,
    audio_codec         TEXT NOT NULL,
    video_codec         TEXT,
    has_video           BOOLEAN NOT NULL,
    width               BIGINT,
    height              BIGINT,
    channels            BIGINT NOT NULL,
    sample_rate         BIGINT NOT NULL,
    duration_ms         BIGINT NOT NULL,
    byte_size           BIGINT NOT NULL,
    sha256              TEXT NOT NULL,
    storage_key         TEXT NOT NULL UNIQUE,
    peaks_per_second    BIGINT NOT NULL,
    peaks               BYTEA NOT NULL,
    silences            TEXT NOT NULL,       -- JSON [[start_ms, end_ms], ...]
    owner_id            TEXT REFERENCES users (id),
    workspace_id        TEXT REFERENCES workspaces (id),
    visibility          TEXT NOT NULL DEFAULT 'workspace',
    share_token         TEXT UNIQUE,
    share_expires_at    TEXT,
    guests_may_reply    BOOLEAN NOT NULL DEFAULT FALSE,
    poster_key          TEXT
);

CREATE INDEX clips_newest_first ON clips (created_at DESC, id DESC);
CREATE INDEX clips_workspace_newest_first ON clips (workspace_id, created_at DESC, id DESC);

CREATE TABLE transcript_jobs (
    clip_id     TEXT PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
    state       TEXT NOT NULL,               -- 'pending' | 'running' | 'done' | 'failed'
    attempts    BIGINT NOT NULL DEFAULT 0,
    run_after   TEXT NOT NULL,
    last_error  TEXT,
    updated_at  TEXT NOT NULL,
    lease_owner       TEXT,                  -- '<process>/<worker>' while running
    lease_expires_at  TEXT                   -- renewed while it works; past it, anyone may take over
);

CREATE INDEX transcript_jobs_due ON transcript_jobs (state, run_after);

CREATE TABLE transcripts (
    clip_id      TEXT PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
    language     TEXT NOT NULL,
    model        TEXT NOT NULL,
    vtt_key      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    decode_ms    BIGINT NOT NULL,
    inference_ms BIGINT NOT NULL
);

CREATE TABLE transcript_segments (
    clip_id   TEXT NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    start_ms  BIGINT NOT NULL,
    end_ms    BIGINT NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (clip_id, position)
);

CREATE TABLE transcript_words (
    clip_id     TEXT NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    segment     BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    start_ms    BIGINT NOT NULL,
    end_ms      BIGINT NOT NULL,
    text        TEXT NOT NULL,
    probability DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (clip_id, segment, position)
);

-- One row per clip title (start_ms NULL) and one per transcript segment. 'simple': words as
-- they are, lower-cased, no stemming and no stop words — like SQLite's unicode61 tokenizer.
CREATE TABLE search_index (
    clip_id   TEXT NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    start_ms  BIGINT,
    body      TEXT NOT NULL,
    document  TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);

CREATE INDEX search_index_document ON search_index USING GIN (document);
CREATE INDEX search_index_clip ON search_index (clip_id);

-- A clip's title enters the index with it (its rows leave with it, by the foreign key).
CREATE FUNCTION index_clip_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_index (clip_id, start_ms, body) VALUES (NEW.id, NULL, NEW.title);
    RETURN NEW;
END;
$$;

CREATE TRIGGER clips_search_insert AFTER INSERT ON clips
    FOR EACH ROW EXECUTE FUNCTION index_clip_title();

CREATE TABLE replies (
    id            TEXT PRIMARY KEY,
    root_clip_id  TEXT NOT NULL REFERENCES clips (id),
    parent_id     TEXT REFERENCES replies (id),
    clip_id       TEXT UNIQUE REFERENCES clips (id),
    body          TEXT,
    anchor_ms     BIGINT,
    author_id     TEXT REFERENCES users (id),
    guest_name    TEXT,
    created_at    TEXT NOT NULL
);

CREATE INDEX replies_thread ON replies (root_clip_id, created_at);

CREATE TABLE seen (
    message_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seen_at     TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);

CREATE TABLE upload_sessions (
    id                TEXT PRIMARY KEY,
    owner_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    length            BIGINT,
    "offset"          BIGINT NOT NULL DEFAULT 0,
    title             TEXT,
    clip_id           TEXT REFERENCES clips (id) ON DELETE SET NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    reserved_clip_id  TEXT,
    share_token       TEXT UNIQUE,
    visibility        TEXT NOT NULL DEFAULT 'workspace' CHECK (visibility IN ('workspace', 'link')),
    multipart_key     TEXT,
    multipart_id      TEXT,
    body_sha256       TEXT,
    holder            TEXT                   -- the process holding its bytes (processes.id)
);

CREATE INDEX upload_sessions_idle ON upload_sessions (updated_at);

CREATE TABLE upload_session_parts (
    session_id   TEXT NOT NULL REFERENCES upload_sessions (id) ON DELETE CASCADE,
    part_number  INTEGER NOT NULL,
    etag         TEXT NOT NULL,
    PRIMARY KEY (session_id, part_number)
);

-- Sign-in attempts, counted here so every process sees the same count. Keys (an email, a
-- client address) are kept as SHA-256 hashes.
CREATE TABLE attempts (
    id            TEXT PRIMARY KEY,
    key_hash      TEXT NOT NULL,
    attempted_at  TEXT NOT NULL
);

CREATE INDEX attempts_by_key ON attempts (key_hash, attempted_at);
CREATE INDEX attempts_by_time ON attempts (attempted_at);

-- Each process: where the others reach it, and until when it is alive without a heartbeat.
CREATE TABLE processes (
    id           TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    alive_until  TEXT NOT NULL
);
