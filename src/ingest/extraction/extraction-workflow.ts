import type { CharacteristicValue, ExtractionJobRow } from '../../connectors/provenance/pg-extraction-jobs';
import type { ProvenanceStore } from '../../connectors/provenance/provenance-store';
import { parseWorkflowSpec, specHash } from '../workflow-spec';
import { CHARACTERISTIC_NAMES } from './characteristics';

/** The built-in workflow whose tasks are provml's own extractions (registered on first use). */
export const EXTRACTION_WORKFLOW = 'provml-extraction';
export const EXTRACTION_TRANSFORMATION = 'extract_metadata';
export const EXTRACTION_AGENT = 'provml';

export const EXTRACTION_SPEC = parseWorkflowSpec({
  name: EXTRACTION_WORKFLOW,
  kind: 'DATA',
  description:
    'Built into provml: metadata read from raw files (SEG-Y headers, HDF5 datasets) that a data reference asked to extract ("extract" in the reference).',
  transformations: [
    {
      name: EXTRACTION_TRANSFORMATION,
      kind: 'DATA_TRANSFORMATION',
      description:
        'Reads the headers of one file through its object store (ranged reads) and generates its DatasetCharacteristicValues.',
      used: [{ name: 'file', role: 'DATA_REFERENCE' }],
      generated: CHARACTERISTIC_NAMES.map((name) => ({ name, role: 'DATASET_CHARACTERISTIC' })),
    },
  ],
});

/** Registers the built-in spec (idempotent: an identical spec keeps its version); returns its version. */
export async function ensureExtractionWorkflow(store: ProvenanceStore): Promise<number> {
  const { workflow } = await store.registerWorkflow(EXTRACTION_SPEC, specHash(EXTRACTION_SPEC));
  return workflow.version;
}

/** The run that holds a job's result: one per job, so a retried job resends the same events. */
export const extractionRunId = (jobId: string): string => `${EXTRACTION_WORKFLOW}-${jobId}`;

/**
 * The ingest events of one finished extraction: a run of the built-in workflow whose one task
 * used the file and generated its characteristics, so lineage reads
 * `characteristics wasGeneratedBy extraction used file`. Fixed ids: sending twice changes nothing.
 */
export function extractionEvents(
  job: Pick<ExtractionJobRow, 'id' | 'uri' | 'store' | 'options'>,
  version: number,
  characteristics: CharacteristicValue[],
  startedAt: Date,
  endedAt: Date,
): Array<Record<string, unknown>> {
  const run = extractionRunId(job.id);
  const task = `${run}.extract`;
  return [
    { id: `${run}:0`, type: 'agent', agent: EXTRACTION_AGENT, kind: 'SOFTWARE', name: 'provml metadata extraction' },
    {
      id: `${run}:1`,
      type: 'workflowBegin',
      run,
      workflow: EXTRACTION_WORKFLOW,
      version,
      agent: EXTRACTION_AGENT,
      time: startedAt.toISOString(),
      attributes: { extractionJob: job.id, options: job.options },
    },
    {
      id: `${run}:2`,
      type: 'taskBegin',
      task,
      run,
      transformation: EXTRACTION_TRANSFORMATION,
      time: startedAt.toISOString(),
      used: { file: { $ref: job.uri, store: job.store } },
    },
    {
      id: `${run}:3`,
      type: 'taskEnd',
      task,
      time: endedAt.toISOString(),
      generated: Object.fromEntries(characteristics.map((c) => [c.name, c.value])),
    },
    { id: `${run}:4`, type: 'workflowEnd', run, time: endedAt.toISOString() },
  ];
}
