-- Single sign-on: who a member is at the team's identity provider (its issuer and their `sub`),
-- so a later email change there still finds them here.
ALTER TABLE users ADD COLUMN sso_issuer TEXT;
ALTER TABLE users ADD COLUMN sso_subject TEXT;
CREATE UNIQUE INDEX users_sso_identity ON users (sso_issuer, sso_subject);

-- Sign-ins that take more than one request (see db/src/sign_in_flows.rs): kept under the hash
-- of a secret only the browser or recorder holds, taken once, lapsing after minutes.
CREATE TABLE sign_in_flows (
    key_hash    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sign_in_flows_expiry ON sign_in_flows (expires_at);
