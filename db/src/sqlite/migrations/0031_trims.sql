-- Trims: the owner's cut of a clip's start and end. The clip's media columns then describe
-- the cut (a file remuxed from the original, no re-encoding); trim_* say where it lies in the
-- original, in the original's milliseconds: its time 0 (zero), where its sound starts (from),
-- where it ends (end). Transcripts, replies and reactions keep the original's times and are
-- shown through the cut.
ALTER TABLE clips ADD COLUMN trim_zero_ms INTEGER;
ALTER TABLE clips ADD COLUMN trim_from_ms INTEGER;
ALTER TABLE clips ADD COLUMN trim_end_ms INTEGER;

-- The original media of a trimmed clip, kept until its owner keeps the trim (or undoes it).
CREATE TABLE clip_originals (
    clip_id      TEXT PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
    storage_key  TEXT NOT NULL,
    head_key     TEXT,
    tail_start   INTEGER,
    tail_end     INTEGER,
    byte_size    INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL,
    peaks        BLOB NOT NULL,
    silences     TEXT NOT NULL
);
