-- Transcripts, the durable job queue that makes them, and full-text search.

-- One job per clip. A worker claims a job by flipping it to 'running' in one UPDATE; failures
-- go back to 'pending' with a later run_after until max attempts, then 'failed'.
CREATE TABLE transcript_jobs (
    clip_id     TEXT PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
    state       TEXT NOT NULL,                  -- 'pending' | 'running' | 'done' | 'failed'
    attempts    INTEGER NOT NULL DEFAULT 0,     -- claims so far (a crash mid-run counts)
    run_after   TEXT NOT NULL,                  -- RFC 3339 UTC: not to be claimed before
    last_error  TEXT,
    updated_at  TEXT NOT NULL
);

CREATE INDEX transcript_jobs_due ON transcript_jobs (state, run_after);

CREATE TABLE transcripts (
    clip_id      TEXT PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
    language     TEXT NOT NULL,
    model        TEXT NOT NULL,
    vtt_key      TEXT NOT NULL,                 -- the WebVTT object beside the clip
    created_at   TEXT NOT NULL,
    decode_ms    INTEGER NOT NULL,
    inference_ms INTEGER NOT NULL
);

CREATE TABLE transcript_segments (
    clip_id   TEXT NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    start_ms  INTEGER NOT NULL,
    end_ms    INTEGER NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (clip_id, position)
);

CREATE TABLE transcript_words (
    clip_id     TEXT NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    segment     INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER NOT NULL,
    text        TEXT NOT NULL,
    probability REAL NOT NULL,
    PRIMARY KEY (clip_id, segment, position)
);

-- Search over titles and transcript segments: one row per clip title (start_ms NULL) and one
-- per segment. SQLite-only (FTS5); on Postgres this becomes a tsvector column and GIN index.
CREATE VIRTUAL TABLE search_index USING fts5 (
    clip_id UNINDEXED,
    start_ms UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Titles enter and leave the index with their clips; a clip's segments leave with it too.
CREATE TRIGGER clips_search_insert AFTER INSERT ON clips BEGIN
    INSERT INTO search_index (clip_id, start_ms, body) VALUES (new.id, NULL, new.title);
END;

CREATE TRIGGER clips_search_delete AFTER DELETE ON clips BEGIN
    DELETE FROM search_index WHERE clip_id = old.id;
END;

-- Clips stored before transcripts existed get a job and an indexed title.
INSERT INTO transcript_jobs (clip_id, state, run_after, updated_at)
    SELECT id, 'pending', created_at, created_at FROM clips;
INSERT INTO search_index (clip_id, start_ms, body) SELECT id, NULL, title FROM clips;
