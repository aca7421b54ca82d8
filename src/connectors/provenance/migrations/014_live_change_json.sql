-- The live log's payload is written with every ingest batch and read back only whole, by
-- subscribers (never queried inside): json stores the text as sent, where jsonb parses it into
-- its binary form, which cost the ingest statement's backend CPU for nothing (issue 15).
ALTER TABLE live_change ALTER COLUMN payload TYPE json USING payload::json;
