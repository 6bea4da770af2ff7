-- Objects being stored for a clip whose row is not written yet: written before the first byte
-- goes to storage, removed in the transaction that inserts the clip. A process killed between
-- the two leaves its rows here, and the janitor removes the objects of clips that never came.
CREATE TABLE objects_being_stored (
    clip_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    holder      TEXT NOT NULL,             -- the process storing them
    created_at  TEXT NOT NULL,
    PRIMARY KEY (clip_id, key)
);
