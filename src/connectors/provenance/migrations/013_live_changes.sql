-- Live subscriptions (issue 13): an ordered log of what each ingest commit changed, per stream.
-- A stream is `run:<id>` (task and run lifecycle, metric points) or `study:<id>` (runs starting
-- and ending). `seq` counts a stream's commits: the ingest transaction bumps its stream's row in
-- live_stream, whose row lock it holds until COMMIT, so two commits of one stream get their seq in
-- commit order and a reader that sees seq n also sees every seq below it. Subscribers resume
-- from a cursor (`seq > after`) without gaps or duplicates, on any replica.
CREATE TABLE live_stream (
  stream text PRIMARY KEY,
  seq    bigint NOT NULL
);

-- One row per stream per commit. The payload is the commit's changes in a compact JSON form
-- (src/ingest/live-changes.ts); NOTIFY and Redis messages carry only (stream, seq).
CREATE TABLE live_change (
  stream      text NOT NULL,
  seq         bigint NOT NULL,
  payload     jsonb NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream, seq)
);
