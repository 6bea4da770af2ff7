-- A clip renamed by its owner is found by its new title; a text reply its author deleted
-- after others answered it stays in the thread as "(deleted)", without its words.
CREATE TRIGGER clips_search_rename AFTER UPDATE OF title ON clips BEGIN
    UPDATE search_index SET body = new.title WHERE clip_id = new.id AND start_ms IS NULL;
END;

ALTER TABLE replies ADD COLUMN deleted_at TEXT;
