-- Sessions whose clip was deleted before clip deletion took its session along: their clip
-- reference was set to NULL, so they read as still open. A finished session has its body's
-- sha256; those without a clip are gone for good.
DELETE FROM upload_sessions WHERE clip_id IS NULL AND body_sha256 IS NOT NULL;
