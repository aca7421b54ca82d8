-- The Q4 walk reads each level's children by parent: the aggregate reads (started_at, duration_ms)
-- of the batches, and the step down reads the epochs' ids. Without `id` in the index, that step
-- fetched every epoch's row from the heap (300 per training); with it, both are index-only scans
-- (0.3-0.5 ms of a 3.5 ms statement at 10.8 M tasks). Rebuilding the index holds the table's lock:
-- minutes on a store of 10 million tasks, once, at upgrade (docs/performance.md).
DROP INDEX task_execution_parent;
CREATE INDEX task_execution_parent ON task_execution (parent_id, transformation_id) INCLUDE (id, started_at, duration_ms);
