-- A video WebM recorded in a browser is stored as it arrived, its clusters untouched; the head
-- that makes it seekable (Duration, Cues) is a small object of its own, composed in front of
-- bytes tail_start..tail_end of the body whenever the clip is read. All three or none.
ALTER TABLE clips ADD COLUMN head_key TEXT;
ALTER TABLE clips ADD COLUMN tail_start INTEGER;
ALTER TABLE clips ADD COLUMN tail_end INTEGER;
