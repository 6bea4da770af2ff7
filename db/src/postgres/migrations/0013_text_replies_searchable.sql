-- Text replies are searchable like transcripts: rows of the search index that name their
-- reply, kept by a trigger as replies are written, emptied by their authors or removed. A
-- clip's title row is the one with neither a moment nor a reply.
ALTER TABLE search_index ADD COLUMN reply_id TEXT REFERENCES replies (id) ON DELETE CASCADE;

CREATE OR REPLACE FUNCTION reindex_clip_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_index SET body = NEW.title WHERE clip_id = NEW.id AND start_ms IS NULL AND reply_id IS NULL;
    RETURN NEW;
END;
$$;

CREATE FUNCTION index_text_reply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM search_index WHERE reply_id = OLD.id;
    END IF;
    IF NEW.body IS NOT NULL THEN
        INSERT INTO search_index (clip_id, start_ms, body, reply_id) VALUES (NEW.root_clip_id, NULL, NEW.body, NEW.id);
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER replies_search_insert AFTER INSERT ON replies
    FOR EACH ROW EXECUTE FUNCTION index_text_reply();
CREATE TRIGGER replies_search_update AFTER UPDATE OF body ON replies
    FOR EACH ROW EXECUTE FUNCTION index_text_reply();

INSERT INTO search_index (clip_id, start_ms, body, reply_id)
    SELECT root_clip_id, NULL, body, id FROM replies WHERE body IS NOT NULL;
