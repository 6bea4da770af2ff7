-- Reactions: a member's emoji on a message (a clip: the message or a voice reply; or a text
-- reply, by its id), optionally at a moment of a recording. One of each emoji per person per
-- message. Removed with their author's account; a message's are no longer shown once it is gone.
CREATE TABLE reactions (
    id          TEXT PRIMARY KEY,
    message_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji       TEXT NOT NULL,
    at_ms       BIGINT,
    created_at  TEXT NOT NULL,
    UNIQUE (message_id, user_id, emoji)
);
CREATE INDEX reactions_message ON reactions (message_id);
