-- A clip renamed by its owner is found by its new title; a text reply its author deleted
-- after others answered it stays in the thread as "(deleted)", without its words.
CREATE FUNCTION reindex_clip_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_index SET body = NEW.title WHERE clip_id = NEW.id AND start_ms IS NULL;
    RETURN NEW;
END;
$$;

CREATE TRIGGER clips_search_rename AFTER UPDATE OF title ON clips
    FOR EACH ROW EXECUTE FUNCTION reindex_clip_title();

ALTER TABLE replies ADD COLUMN deleted_at TEXT;
