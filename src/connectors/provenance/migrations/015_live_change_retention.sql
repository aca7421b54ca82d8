-- Live-log retention (PROVML_LIVE_RETENTION, src/live/live-pruner.ts): the pruner finds the
-- changes older than the retention by commit time. One index entry per stream per ingest commit.
CREATE INDEX live_change_committed_at ON live_change (committed_at);
