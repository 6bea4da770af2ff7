-- Trims: the owner's cut of a clip's start and end. The clip's media columns then describe
-- the cut (a file remuxed from the original, no re-encoding); trim_* say where it lies in the
-- original, in the original's milliseconds: its time 0 (zero), where its sound starts (from),
-- where it ends (end). Transcripts, replies and reactions keep the original's times and are
-- shown through the cut.
ALTER TABLE clips ADD COLUMN trim_zero_ms BIGINT;
ALTER TABLE clips ADD COLUMN trim_from_ms BIGINT;
ALTER TABLE clips ADD COLUMN trim_end_ms BIGINT;

-- The original media of a trimmed clip, kept until its owner keeps the trim (or undoes it).
CREATE TABLE clip_originals (
    clip_id      TEXT PRIMARY KEY REFERENCES clips (id) ON DELETE CASCADE,
    storage_key  TEXT NOT NULL,
    head_key     TEXT,
    tail_start   BIGINT,
    tail_end     BIGINT,
    byte_size    BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    peaks        BYTEA NOT NULL,
    silences     TEXT NOT NULL
);
