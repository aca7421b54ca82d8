-- Publish outbox (src/interop/publish): runs whose PROV-O is to be written to a triple store.
-- A run is enqueued by a trigger in the same transaction that ends it, so an ended run is never
-- missed and ingest never waits on the triple store; the publisher drains the queue on its own.
CREATE TABLE publish_outbox (
  run_id          text PRIMARY KEY REFERENCES workflow_execution(id),
  state           text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DONE')),
  attempts        integer NOT NULL DEFAULT 0,
  -- Due time; a claimed row is leased by moving it forward, so a publisher that dies mid-way
  -- leaves the row to be retried once the lease runs out.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  enqueued_at     timestamptz NOT NULL DEFAULT now(),
  published_at    timestamptz
);
CREATE INDEX publish_outbox_due ON publish_outbox (next_attempt_at) WHERE state = 'PENDING';

CREATE FUNCTION publish_outbox_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO publish_outbox (run_id) VALUES (NEW.id)
  ON CONFLICT (run_id) DO UPDATE SET state = 'PENDING', next_attempt_at = now(), attempts = 0, last_error = NULL;
  RETURN NULL;
END $$;

-- A run ends (RUNNING -> FINISHED / FAILED / KILLED), or arrives already ended (imports).
CREATE TRIGGER publish_outbox_on_end AFTER UPDATE OF status ON workflow_execution
  FOR EACH ROW WHEN (OLD.status = 'RUNNING' AND NEW.status <> 'RUNNING') EXECUTE FUNCTION publish_outbox_enqueue();
CREATE TRIGGER publish_outbox_on_insert AFTER INSERT ON workflow_execution
  FOR EACH ROW WHEN (NEW.status <> 'RUNNING') EXECUTE FUNCTION publish_outbox_enqueue();
