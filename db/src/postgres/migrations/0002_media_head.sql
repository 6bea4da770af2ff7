-- A video WebM recorded in a browser is stored as it arrived, its clusters untouched; the head
-- that makes it seekable (Duration, Cues) is a small object of its own, composed in front of
-- bytes tail_start..tail_end of the body whenever the clip is read.
ALTER TABLE clips
    ADD COLUMN head_key TEXT,
    ADD COLUMN tail_start BIGINT,
    ADD COLUMN tail_end BIGINT,
    ADD CONSTRAINT clips_media_head_whole CHECK (
        (head_key IS NULL AND tail_start IS NULL AND tail_end IS NULL)
        OR (head_key IS NOT NULL AND tail_start >= 0 AND tail_end >= tail_start)
    );
