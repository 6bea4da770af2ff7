-- One queue for all background work. Transcript jobs, notification mail and webhook deliveries
-- were three tables, each with its own claim, lease and retry columns; they become kinds of job
-- in one table, claimed, renewed, retried and given up by the same SQL. What a job is about is
-- in plain columns ('' where it does not apply): a clip to transcribe, or an event (`event`,
-- `clip_id`, `reply_id`, `actor_id`, `subject`) to tell a member (`target`, for mail) or a
-- webhook (`target`, for deliveries). A job's id is what its retries are recognised by: a mail's
-- Message-ID, a delivery's webhook-id.
CREATE TABLE jobs (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,                -- 'transcript' | 'mail' | 'webhook'
    target            TEXT NOT NULL DEFAULT '',     -- the member mailed, the webhook called
    event             TEXT NOT NULL DEFAULT '',     -- 'message.created' | 'reply.created'
    clip_id           TEXT NOT NULL DEFAULT '',     -- the clip, or the message (thread) told of
    reply_id          TEXT NOT NULL DEFAULT '',
    actor_id          TEXT NOT NULL DEFAULT '',     -- who did it ('' for a guest)
    subject           TEXT NOT NULL DEFAULT '',     -- what else it is about (a check-in round)
    state             TEXT NOT NULL,                -- pending | running | done | dropped | failed
    attempts          BIGINT NOT NULL DEFAULT 0,    -- turns taken (a crash mid-turn counts)
    run_after         TEXT NOT NULL,                -- not claimed before
    lease_owner       TEXT,                         -- '<process>/<lane>' while running
    lease_expires_at  TEXT,
    last_error        TEXT,                         -- why the last turn failed, or why it ended
    last_status       BIGINT,                       -- a webhook endpoint's last HTTP status
    last_attempt_at   TEXT,
    finished_at       TEXT,                         -- done (transcript stored, mail sent, delivered)
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    -- One job per thing to do: the same event told twice to the same place is one job. The
    -- actor is part of it because a check-in round tells one webhook of each person asked.
    UNIQUE (kind, target, event, clip_id, reply_id, actor_id, subject)
);

CREATE INDEX jobs_due ON jobs (kind, state, run_after);
CREATE INDEX jobs_of_target ON jobs (kind, target, created_at);
CREATE INDEX jobs_of_clip ON jobs (clip_id);

INSERT INTO jobs (id, kind, clip_id, state, attempts, run_after, lease_owner, lease_expires_at,
                  last_error, finished_at, created_at, updated_at)
    SELECT md5(random()::text || clip_id), 'transcript', clip_id, state, attempts, run_after, lease_owner,
           lease_expires_at, last_error, CASE WHEN state = 'done' THEN updated_at END, updated_at, updated_at
    FROM transcript_jobs;

INSERT INTO jobs (id, kind, target, event, clip_id, reply_id, actor_id, state, attempts, run_after,
                  lease_owner, lease_expires_at, last_error, finished_at, created_at, updated_at)
    SELECT id, 'mail', recipient_id, event, clip_id, reply_id, actor_id,
           CASE state WHEN 'sent' THEN 'done' ELSE state END, attempts, due_at,
           NULL, NULL, last_error, sent_at, created_at, created_at
    FROM notifications;

INSERT INTO jobs (id, kind, target, event, clip_id, reply_id, actor_id, state, attempts, run_after,
                  lease_owner, lease_expires_at, last_error, last_status, last_attempt_at, finished_at,
                  created_at, updated_at)
    SELECT id, 'webhook', webhook_id, event, clip_id, reply_id, actor_id,
           CASE state WHEN 'sent' THEN 'done' ELSE state END, attempts, due_at,
           NULL, NULL, last_error, last_status, last_attempt_at, sent_at, created_at, created_at
    FROM webhook_deliveries;

DROP TABLE transcript_jobs;
DROP TABLE notifications;
DROP TABLE webhook_deliveries;
