-- Sign-in attempts, counted in the database so every process sees the same count. Keys (an
-- email, a client address) are kept as SHA-256 hashes.
CREATE TABLE attempts (
    id            TEXT PRIMARY KEY,
    key_hash      TEXT NOT NULL,
    attempted_at  TEXT NOT NULL
);

CREATE INDEX attempts_by_key ON attempts (key_hash, attempted_at);
CREATE INDEX attempts_by_time ON attempts (attempted_at);
