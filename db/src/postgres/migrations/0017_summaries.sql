-- Summaries: what the model made of a clip's transcript (a summary, chapters on segment
-- starts, action items), or what its owner wrote instead (`source` 'edited': a new transcript
-- does not overwrite it). Chapters and action items are JSON arrays.
CREATE TABLE summaries (
    clip_id       TEXT PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
    state         TEXT NOT NULL,                    -- pending | ready | failed | off
    source        TEXT NOT NULL DEFAULT 'generated', -- generated | edited
    summary       TEXT NOT NULL DEFAULT '',
    chapters      TEXT NOT NULL DEFAULT '[]',       -- [{"start_ms", "title"}]
    action_items  TEXT NOT NULL DEFAULT '[]',       -- [{"text", "owner"?}]
    model         TEXT NOT NULL DEFAULT '',
    error         TEXT,
    updated_at    TEXT NOT NULL
);

-- Summaries and chapter titles are searched beside transcripts: a chapter's row has its start.
CREATE TABLE summary_search (
    clip_id   TEXT NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    start_ms  BIGINT,
    body      TEXT NOT NULL,
    document  TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);

CREATE INDEX summary_search_document ON summary_search USING GIN (document);
CREATE INDEX summary_search_clip ON summary_search (clip_id);
