-- On S3, a session's bytes also go on as multipart parts while they arrive (each whole part as
-- soon as the session holds it), so finishing a long take only sends its last part. The
-- multipart upload and its parts are remembered so a restarted server carries on with them,
-- and an abandoned session's upload is aborted.
ALTER TABLE upload_sessions ADD COLUMN multipart_key TEXT;
ALTER TABLE upload_sessions ADD COLUMN multipart_id TEXT;

CREATE TABLE upload_session_parts (
    session_id   TEXT NOT NULL REFERENCES upload_sessions (id) ON DELETE CASCADE,
    part_number  INTEGER NOT NULL,
    etag         TEXT NOT NULL,
    PRIMARY KEY (session_id, part_number)
);

-- What the session received, hashed: a client confirms its take by it (the stored clip may
-- differ from the body, e.g. browser WebM remuxed to Ogg).
ALTER TABLE upload_sessions ADD COLUMN body_sha256 TEXT;
