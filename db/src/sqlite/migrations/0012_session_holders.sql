-- Several processes: each registers itself (where the others reach it, and until when it is
-- alive without a heartbeat), and an upload session names the process holding its bytes.
CREATE TABLE processes (
    id           TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    alive_until  TEXT NOT NULL
);

ALTER TABLE upload_sessions ADD COLUMN holder TEXT;
