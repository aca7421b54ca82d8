-- Q4/Q5 read thousands of batch durations per training. Stored once per task, as float8
-- milliseconds, they are summed straight from the index: computing `extract(epoch ...)` at read
-- time costs a numeric per row per aggregate (more than half of the aggregate's time). The
-- column follows `ended_at` by itself: a taskEnd's UPDATE recomputes it, the writer never names it.
-- Exact decimal milliseconds first, then float8: 0.3 s is 300, not 300.00000000000006.
ALTER TABLE task_execution ADD COLUMN duration_ms double precision
  GENERATED ALWAYS AS ((extract(epoch FROM ended_at - started_at) * 1000)::double precision) STORED;

-- Children by parent (training -> epoch -> batch), carrying what the Q4 aggregate reads: an
-- index-only scan per parent. Same width as before (ended_at gives way to duration_ms).
DROP INDEX task_execution_parent;
CREATE INDEX task_execution_parent ON task_execution (parent_id, transformation_id) INCLUDE (started_at, duration_ms);

-- Models of a run: the models under a task are found from the run's few MODEL_REFERENCE values
-- (walking up their tasks' parents), not by scanning every model of the store.
CREATE INDEX attribute_value_run_models ON attribute_value (run_id) WHERE role = 'MODEL_REFERENCE' AND direction = 'GENERATED';

-- Values by attribute name and value (Q5: the tasks that used a slice range). By name alone, the
-- read compared the value of every use of the name: one per preparation run, growing with the
-- store. The value's hash is the key, not the value (a btree entry must fit in a third of a
-- page); the read compares the value itself as well. Replaces the name-only index of 002.
DROP INDEX attribute_value_name;
CREATE INDEX attribute_value_name ON attribute_value (name, direction, jsonb_hash(value));

-- The rewrite above leaves the visibility map empty, and no autovacuum comes for a table nothing
-- was deleted from: until one does, every Q4 read would fetch its rows from the heap.
-- after commit: VACUUM (ANALYZE) task_execution
