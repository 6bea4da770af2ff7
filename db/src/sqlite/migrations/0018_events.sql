-- What happened, written in the same transaction as the message or reply itself, so that no
-- crash can lose a notification: the workers turn each event into its notifications (one per
-- recipient, at most once by their unique key), then remove it.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,               -- 'message.created' | 'reply.created'
    clip_id     TEXT NOT NULL,               -- the message, or the root of the thread
    reply_id    TEXT NOT NULL DEFAULT '',
    actor_id    TEXT NOT NULL DEFAULT '',    -- '' for a guest
    created_at  TEXT NOT NULL
);
