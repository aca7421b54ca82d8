-- A parked wasAssociatedWith waits for its subject, which names a run or a task: which one is
-- known only once it lands (docs/ingest.md, "Parked events"). Written before, it was stored as a
-- task's association when its run had not landed yet, so the store depended on the batch shape.
ALTER TABLE parked_event DROP CONSTRAINT parked_event_waits_kind_check;
ALTER TABLE parked_event ADD CONSTRAINT parked_event_waits_kind_check
  CHECK (waits_kind IN ('run', 'task', 'execution'));
