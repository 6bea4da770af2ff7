-- Text replies are searchable like transcripts: an index of their own (FTS5 tables cannot gain
-- columns), kept by triggers as replies are written, emptied by their authors or removed.
CREATE VIRTUAL TABLE reply_search USING fts5 (
    reply_id UNINDEXED,
    clip_id UNINDEXED,      -- the thread's root clip
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER replies_search_insert AFTER INSERT ON replies WHEN new.body IS NOT NULL BEGIN
    INSERT INTO reply_search (reply_id, clip_id, body) VALUES (new.id, new.root_clip_id, new.body);
END;

CREATE TRIGGER replies_search_update AFTER UPDATE OF body ON replies BEGIN
    DELETE FROM reply_search WHERE reply_id = old.id;
    INSERT INTO reply_search (reply_id, clip_id, body)
        SELECT new.id, new.root_clip_id, new.body WHERE new.body IS NOT NULL;
END;

CREATE TRIGGER replies_search_delete AFTER DELETE ON replies BEGIN
    DELETE FROM reply_search WHERE reply_id = old.id;
END;

INSERT INTO reply_search (reply_id, clip_id, body)
    SELECT id, root_clip_id, body FROM replies WHERE body IS NOT NULL;
