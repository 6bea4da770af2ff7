-- Check-ins: the stand-up without the meeting (see the SQLite migration 0027 for the model).
CREATE TABLE checkins (
    id                     TEXT PRIMARY KEY,
    workspace_id           TEXT NOT NULL REFERENCES workspaces (id),
    title                  TEXT NOT NULL,
    questions              TEXT NOT NULL,
    everyone               BOOLEAN NOT NULL,
    days                   TEXT NOT NULL,
    ask_at                 TEXT NOT NULL,
    answer_within_minutes  BIGINT NOT NULL,
    time_zone              TEXT NOT NULL,
    state                  TEXT NOT NULL,
    created_by             TEXT NOT NULL REFERENCES users (id),
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);

CREATE INDEX checkins_workspace ON checkins (workspace_id, created_at);

CREATE TABLE checkin_members (
    checkin_id  TEXT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (checkin_id, user_id)
);

CREATE TABLE checkin_rounds (
    id          TEXT PRIMARY KEY,
    checkin_id  TEXT NOT NULL REFERENCES checkins (id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    state       TEXT NOT NULL,
    opens_at    TEXT NOT NULL,
    closes_at   TEXT NOT NULL,
    closed_at   TEXT,
    UNIQUE (checkin_id, day)
);

CREATE TABLE checkin_people (
    round_id     TEXT NOT NULL REFERENCES checkin_rounds (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    state        TEXT NOT NULL,
    ask_at       TEXT NOT NULL,
    asked_at     TEXT,
    due_at       TEXT NOT NULL,
    reminded_at  TEXT,
    answer_id    TEXT,
    answered_at  TEXT,
    PRIMARY KEY (round_id, user_id)
);

CREATE INDEX checkin_people_user ON checkin_people (user_id, state);

ALTER TABLE users ADD COLUMN away_until TEXT;

-- A thread's root is a clip, or a check-in round.
ALTER TABLE replies ALTER COLUMN root_clip_id DROP NOT NULL;
ALTER TABLE replies ADD COLUMN round_id TEXT REFERENCES checkin_rounds (id) ON DELETE CASCADE;
ALTER TABLE replies ADD CONSTRAINT replies_one_root CHECK ((root_clip_id IS NULL) <> (round_id IS NULL));
CREATE INDEX replies_round ON replies (round_id, created_at);

-- A round's text replies are searchable too: their index rows name the round.
ALTER TABLE search_index ALTER COLUMN clip_id DROP NOT NULL;
ALTER TABLE search_index ADD COLUMN round_id TEXT REFERENCES checkin_rounds (id) ON DELETE CASCADE;

CREATE OR REPLACE FUNCTION index_text_reply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM search_index WHERE reply_id = OLD.id;
    END IF;
    IF NEW.body IS NOT NULL THEN
        INSERT INTO search_index (clip_id, round_id, start_ms, body, reply_id)
            VALUES (NEW.root_clip_id, NEW.round_id, NULL, NEW.body, NEW.id);
    END IF;
    RETURN NEW;
END;
$$;

ALTER TABLE events ADD COLUMN subject TEXT NOT NULL DEFAULT '';
