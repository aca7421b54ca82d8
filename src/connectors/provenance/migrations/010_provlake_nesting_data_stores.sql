-- Tasks begun and not ended, by run: the ProvLake route nests a cycle iteration under the task
-- running around it (the library names no parent for cycles), looked up at each cycle begin.
CREATE INDEX task_execution_open ON task_execution (run_id, started_at DESC) WHERE ended_at IS NULL;

-- Data stores declared by clients (ProvLake's DataStoreCatalog.create_data_store): PROV-ML
-- DataStoreInstances, by the id data references name in their `store`.
CREATE TABLE declared_data_store (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  type       text NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
