-- Events that name a run or task not stored yet (docs/ingest.md, "Parked events"): a rank of a
-- distributed job, another capture thread or a replayed spool may send a task's events before the
-- run's workflowBegin lands. They wait here, durably, instead of being rejected; the parked-event
-- worker (src/ingest/parked-events.ts) writes them once what they wait for is stored, in one
-- transaction that claims their event ids (ingested_event) and deletes their rows here.
CREATE TABLE parked_event (
  event_id    text PRIMARY KEY,
  -- Arrival order: released in this order, so a task's begin lands before its end.
  seq         bigserial NOT NULL,
  -- The event as sent, with `time` filled in at arrival when it had none (its time is its arrival).
  event       jsonb NOT NULL,
  waits_kind  text NOT NULL CHECK (waits_kind IN ('run', 'task')),
  waits_for   text NOT NULL,
  parked_at   timestamptz NOT NULL DEFAULT now(),
  -- PARKED: waiting. REJECTED: what it waited for landed, and the event still did not fit (a
  -- transformation its run's workflow does not declare): kept with `issue`, never dropped.
  status      text NOT NULL DEFAULT 'PARKED' CHECK (status IN ('PARKED', 'REJECTED')),
  issue       jsonb
);

-- The worker asks "which parked events wait for something that is now stored".
CREATE INDEX parked_event_waits ON parked_event (waits_for, waits_kind) WHERE status = 'PARKED';
CREATE INDEX parked_event_seq ON parked_event (seq) WHERE status = 'PARKED';
