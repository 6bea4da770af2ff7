-- Telling people when it is their turn: each member's choice for email, and each notification
-- as a row that the job workers deliver (leased, retried with backoff, given up with the
-- reason kept), so a restart loses nothing and a retry is recognisably the same mail.
ALTER TABLE users ADD COLUMN email_notifications TEXT NOT NULL DEFAULT 'working_hours';

CREATE TABLE notifications (
    id                TEXT PRIMARY KEY,            -- also the mail's Message-ID
    recipient_id      TEXT NOT NULL REFERENCES users (id),
    event             TEXT NOT NULL,               -- 'message.created' | 'reply.created'
    clip_id           TEXT NOT NULL,               -- the message, or the root of the thread replied in
    reply_id          TEXT NOT NULL DEFAULT '',    -- the reply ('' for a new message)
    actor_id          TEXT NOT NULL,               -- who did it (never the recipient)
    created_at        TEXT NOT NULL,
    due_at            TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | dropped | failed
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    lease_holder      TEXT,
    lease_expires_at  TEXT,
    sent_at           TEXT,
    UNIQUE (recipient_id, event, clip_id, reply_id)
);

CREATE INDEX notifications_due ON notifications (state, due_at);

-- Keys the server signs with (unsubscribe links), made once and shared by every process.
CREATE TABLE server_keys (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
