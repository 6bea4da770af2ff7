-- A video clip's poster: a frame the browser took while recording (JPEG), stored beside it.
ALTER TABLE clips ADD COLUMN poster_key TEXT;
