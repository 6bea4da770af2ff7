-- Webhooks: each workspace's endpoints (admins add them), and each delivery as a row that the
-- job workers send under a lease, retry with backoff and give up with the reason kept. A
-- delivery's id is its `webhook-id`: the same however often it is retried. The signing secret
-- is not stored: it is derived from the server's webhooks key and the webhook's id.
CREATE TABLE webhooks (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id),
    url           TEXT NOT NULL,
    events        TEXT NOT NULL,               -- space-separated: 'message.created reply.created'
    format        TEXT NOT NULL,               -- 'standard' | 'chat'
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE INDEX webhooks_workspace ON webhooks (workspace_id);

CREATE TABLE webhook_deliveries (
    id                TEXT PRIMARY KEY,        -- the webhook-id header
    webhook_id        TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event             TEXT NOT NULL,           -- 'message.created' | 'reply.created'
    clip_id           TEXT NOT NULL,           -- the message, or the root of the thread
    reply_id          TEXT NOT NULL DEFAULT '',
    actor_id          TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    due_at            TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | dropped | failed
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_status       INTEGER,                    -- the endpoint's last HTTP status
    last_error        TEXT,
    last_attempt_at   TEXT,
    lease_holder      TEXT,
    lease_expires_at  TEXT,
    sent_at           TEXT,
    UNIQUE (webhook_id, event, clip_id, reply_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, due_at);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, created_at);
