-- Check-ins: the stand-up without the meeting. A check-in asks its members its questions on
-- the days it runs, each at their own time (the start of their working hours, or a time of
-- day in their own zone); a round is one day's asking, each person in it asked once, and the
-- answers (text or a clip) are the round's thread, answered and replied to as any thread.
CREATE TABLE checkins (
    id                     TEXT PRIMARY KEY,
    workspace_id           TEXT NOT NULL REFERENCES workspaces (id),
    title                  TEXT NOT NULL,
    questions              TEXT NOT NULL,              -- JSON: 1–5 questions
    everyone               INTEGER NOT NULL,           -- 1: every member, those who join later too
    days                   TEXT NOT NULL,              -- 'mon tue wed thu fri'
    ask_at                 TEXT NOT NULL,              -- 'start' | 'HH:MM' in each person's zone
    answer_within_minutes  INTEGER NOT NULL,
    time_zone              TEXT NOT NULL,              -- the zone its rounds' dates are in
    state                  TEXT NOT NULL,              -- 'active' | 'paused'
    created_by             TEXT NOT NULL REFERENCES users (id),
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);

CREATE INDEX checkins_workspace ON checkins (workspace_id, created_at);

-- The members a check-in names (none when it asks everyone).
CREATE TABLE checkin_members (
    checkin_id  TEXT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (checkin_id, user_id)
);

CREATE TABLE checkin_rounds (
    id          TEXT PRIMARY KEY,
    checkin_id  TEXT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    day         TEXT NOT NULL,           -- YYYY-MM-DD in the check-in's zone
    state       TEXT NOT NULL,           -- 'open' | 'closed'
    opens_at    TEXT NOT NULL,           -- the first ask
    closes_at   TEXT NOT NULL,           -- the last due time
    closed_at   TEXT,
    UNIQUE (checkin_id, day)
);

-- Who a round asks, when, and what came of it.
CREATE TABLE checkin_people (
    round_id     TEXT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    state        TEXT NOT NULL,          -- 'waiting' | 'answered' | 'away' | 'missed'
    ask_at       TEXT NOT NULL,          -- when they are asked
    asked_at     TEXT,                   -- when they were
    due_at       TEXT NOT NULL,
    reminded_at  TEXT,
    answer_id    TEXT,                   -- their answer: a reply in the round's thread
    answered_at  TEXT,
    PRIMARY KEY (round_id, user_id)
);

CREATE INDEX checkin_people_user ON checkin_people (user_id, state);

-- Away until (and including) this date: not asked, no reminders.
ALTER TABLE users ADD COLUMN away_until TEXT;

-- A thread's root is a clip, or a check-in round (whose answers are its top-level replies).
-- SQLite changes a column's constraints only by rebuilding its table.
CREATE TABLE replies_rebuilt (
    id            TEXT PRIMARY KEY,
    root_clip_id  TEXT REFERENCES clips (id),
    round_id      TEXT REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    parent_id     TEXT REFERENCES replies_rebuilt (id),   -- renamed with the table
    clip_id       TEXT UNIQUE REFERENCES clips (id),
    body          TEXT,
    anchor_ms     INTEGER,
    author_id     TEXT REFERENCES users (id),
    guest_name    TEXT,
    created_at    TEXT NOT NULL,
    deleted_at    TEXT,
    CHECK ((root_clip_id IS NULL) <> (round_id IS NULL))
);
INSERT INTO replies_rebuilt (id, root_clip_id, parent_id, clip_id, body, anchor_ms, author_id, guest_name,
                             created_at, deleted_at)
    SELECT id, root_clip_id, parent_id, clip_id, body, anchor_ms, author_id, guest_name, created_at, deleted_at
    FROM replies;
DROP TABLE replies;
ALTER TABLE replies_rebuilt RENAME TO replies;
CREATE INDEX replies_thread ON replies (root_clip_id, created_at);
CREATE INDEX replies_round ON replies (round_id, created_at);

-- Text replies stay searchable; `clip_id` in the index is the thread's root, a clip or a round.
CREATE TRIGGER replies_search_insert AFTER INSERT ON replies WHEN new.body IS NOT NULL BEGIN
    INSERT INTO reply_search (reply_id, clip_id, body)
        VALUES (new.id, COALESCE(new.root_clip_id, new.round_id), new.body);
END;

CREATE TRIGGER replies_search_update AFTER UPDATE OF body ON replies BEGIN
    DELETE FROM reply_search WHERE reply_id = old.id;
    INSERT INTO reply_search (reply_id, clip_id, body)
        SELECT new.id, COALESCE(new.root_clip_id, new.round_id), new.body WHERE new.body IS NOT NULL;
END;

CREATE TRIGGER replies_search_delete AFTER DELETE ON replies BEGIN
    DELETE FROM reply_search WHERE reply_id = old.id;
END;

-- What else an event is about (a round), like a job.
ALTER TABLE events ADD COLUMN subject TEXT NOT NULL DEFAULT '';
