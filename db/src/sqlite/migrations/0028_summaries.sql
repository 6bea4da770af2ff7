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
CREATE VIRTUAL TABLE summary_search USING fts5 (
    clip_id UNINDEXED,
    start_ms UNINDEXED,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER clips_summary_search_delete AFTER DELETE ON clips BEGIN
    DELETE FROM summary_search WHERE clip_id = old.id;
END;
