-- The live log's payloads (~95 bytes an ingested event, one row per stream per batch) are
-- compressed as TOAST values; pglz cost the fast ingest statement's backend ~3 % of its CPU
-- (perf, issue 15). lz4 compresses them about as small for a fraction of the CPU. A server built
-- without lz4 (some embedded binaries) keeps pglz: the migration must not fail there.
DO $$
BEGIN
  ALTER TABLE live_change ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 not supported by this server: live_change.payload stays pglz';
END
$$;
