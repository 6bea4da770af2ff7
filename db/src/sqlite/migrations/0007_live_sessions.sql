-- A take being recorded has its link from the start: the session reserves the clip's id and
-- share token (and says who may see it), so the page can say "recording…" until the clip is
-- final, and the clip keeps the same link afterwards.
ALTER TABLE upload_sessions ADD COLUMN reserved_clip_id TEXT;
ALTER TABLE upload_sessions ADD COLUMN share_token TEXT;
ALTER TABLE upload_sessions ADD COLUMN visibility TEXT NOT NULL DEFAULT 'workspace'
    CHECK (visibility IN ('workspace', 'link'));
CREATE UNIQUE INDEX upload_sessions_share_token ON upload_sessions (share_token);
