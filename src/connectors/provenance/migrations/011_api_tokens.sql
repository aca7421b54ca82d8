-- Access tokens (issue 11). A token is `pml_<id>_<secret>`: the id finds the row, the secret is
-- compared in constant time against its SHA-256. The secret is 256 random bits, so a plain hash
-- is enough (no password to stretch); the secret itself is shown once and never stored.
CREATE TABLE api_token (
  id          text PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  owner       text,
  secret_hash bytea NOT NULL,
  scopes      text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'ingest', 'register', 'admin']::text[] AND cardinality(scopes) > 0),
  -- NULL: every study; otherwise the studies (study.id) the token may read and write.
  studies     text[],
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz,
  last_used_at timestamptz,
  revoked_at  timestamptz
);
