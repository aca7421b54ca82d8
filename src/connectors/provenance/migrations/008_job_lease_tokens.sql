-- Fenced job completion (issue 10, finding 7). A claim gives the job a fresh lease token; only
-- the holder of the current token may renew, complete or fail it. A worker that stalled past
-- its lease (GC pause, suspended process, lost network) and wakes after another worker took
-- the job over is refused, instead of both writing results.
ALTER TABLE extraction_job ADD COLUMN lease_token uuid;
ALTER TABLE publish_outbox ADD COLUMN lease_token uuid;

-- A run ended again while a publisher holds it: the new version must be published, so the
-- holder's completion is refused (its token no longer matches) and the row stays due.
CREATE OR REPLACE FUNCTION publish_outbox_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO publish_outbox (run_id) VALUES (NEW.id)
  ON CONFLICT (run_id) DO UPDATE
    SET state = 'PENDING', next_attempt_at = now(), attempts = 0, last_error = NULL, lease_token = NULL;
  RETURN NULL;
END $$;

-- As in 006, and a failed job asked again starts with no lease: no earlier worker can end it.
CREATE OR REPLACE FUNCTION extraction_job_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO extraction_job (data_ref_id, options)
  SELECT DISTINCT n.data_ref_id,
         CASE WHEN n.value -> 'extract' = 'true'::jsonb THEN '{}'::jsonb ELSE n.value -> 'extract' END
  FROM new_values n
  WHERE n.data_ref_id IS NOT NULL
    AND jsonb_typeof(n.value) = 'object'
    AND n.value ? 'extract'
    AND n.value -> 'extract' NOT IN ('false'::jsonb, 'null'::jsonb)
  ON CONFLICT (data_ref_id, options) DO UPDATE
    SET status = 'PENDING', attempts = 0, next_attempt_at = now(), requested_at = now(), lease_token = NULL,
        error_code = NULL, error_message = NULL, error_offset = NULL, error_field = NULL, finished_at = NULL
    WHERE extraction_job.status = 'FAILED';
  RETURN NULL;
END $$;
