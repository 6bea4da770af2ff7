-- Threads: a clip starts one; replies are clips or text, may answer a reply, and may point at a
-- moment of the clip they answer. Seen receipts: the first time each member heard (or read)
-- each message.

CREATE TABLE replies (
    id                        TEXT PRIMARY KEY,
    root_clip_id              TEXT NOT NULL REFERENCES clips (id),
    parent_id                 TEXT REFERENCES replies (id),   -- NULL: answers the root clip
    clip_id                   TEXT UNIQUE REFERENCES clips (id), -- a voice or video reply
    body                      TEXT,                             -- a text reply
    anchor_ms                 INTEGER,                          -- "at 1:23" in the clip answered
    author_id                 TEXT REFERENCES users (id),
    guest_name                TEXT,                             -- a guest replying through the link
    created_at                TEXT NOT NULL
);

CREATE INDEX replies_thread ON replies (root_clip_id, created_at);

CREATE TABLE seen (
    message_id  TEXT NOT NULL,      -- a clip id, or a text reply's id
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seen_at     TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
