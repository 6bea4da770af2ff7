-- A thread someone marked done: it leaves their inbox until something new arrives in it.
CREATE TABLE threads_done (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    root_clip_id  TEXT NOT NULL REFERENCES clips (id) ON DELETE CASCADE,
    done_at       TEXT NOT NULL,
    PRIMARY KEY (user_id, root_clip_id)
);
