-- Extraction jobs (src/ingest/extraction, docs/extract.md): a data reference written as
-- {"$ref": uri, "store": id, "extract": true | {...}} asks the server to read the file's
-- metadata in the background. A trigger enqueues the job in the transaction that writes the
-- value, so a committed request is never lost and ingest never waits on the file; one job per
-- (data reference, options), and a worker that dies leaves its job to be leased again.
CREATE TABLE extraction_job (
  id              bigserial PRIMARY KEY,
  data_ref_id     bigint NOT NULL REFERENCES data_reference(id),
  -- The request's options as written (`true` is stored as {}): jsonb equality ignores key order.
  options         jsonb NOT NULL DEFAULT '{}',
  status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'RUNNING', 'DONE', 'FAILED')),
  attempts        integer NOT NULL DEFAULT 0,
  -- PENDING: due time (retries back off); RUNNING: the lease, renewed while the worker reads.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  bytes_read      bigint,
  -- [{"name": ..., "value": ...}]: the PROV-ML DatasetCharacteristicValues extracted.
  characteristics jsonb,
  -- The provml-extraction run whose task holds the characteristics as generated values.
  result_run_id   text,
  -- What a DONE job could not do without failing (no CRS for a footprint, a read-only store).
  note            text,
  -- Why the last attempt failed; where in the file (byte offset, header field).
  error_code      text,
  error_message   text,
  error_offset    bigint,
  error_field     text,
  requested_at    timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  UNIQUE (data_ref_id, options)
);
CREATE INDEX extraction_job_due ON extraction_job (next_attempt_at) WHERE status IN ('PENDING', 'RUNNING');
CREATE INDEX extraction_job_status ON extraction_job (status, id);

-- One statement per batch of values (a transition table, not a row trigger): ingest pays one
-- INSERT ... SELECT per batch, which finds nothing unless a value asked for extraction.
CREATE FUNCTION extraction_job_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO extraction_job (data_ref_id, options)
  SELECT DISTINCT n.data_ref_id,
         CASE WHEN n.value -> 'extract' = 'true'::jsonb THEN '{}'::jsonb ELSE n.value -> 'extract' END
  FROM new_values n
  WHERE n.data_ref_id IS NOT NULL
    AND jsonb_typeof(n.value) = 'object'
    AND n.value ? 'extract'
    AND n.value -> 'extract' NOT IN ('false'::jsonb, 'null'::jsonb)
  -- Asked again after a failure (the file was fixed): try again. Otherwise nothing changes.
  ON CONFLICT (data_ref_id, options) DO UPDATE
    SET status = 'PENDING', attempts = 0, next_attempt_at = now(), requested_at = now(),
        error_code = NULL, error_message = NULL, error_offset = NULL, error_field = NULL, finished_at = NULL
    WHERE extraction_job.status = 'FAILED';
  RETURN NULL;
END $$;

CREATE TRIGGER extraction_job_on_values AFTER INSERT ON attribute_value
  REFERENCING NEW TABLE AS new_values FOR EACH STATEMENT EXECUTE FUNCTION extraction_job_enqueue();
