// The run page's and the compare page's queries: a run's execution data, then its metric series.

export const RUN_FIELDS = `
  id
  __typename
  status
  startedAt
  endedAt
  attributes
  experiment { name version }
  agent { id name }
  metricNames
  used { name role value }
  gpuSummary { host gpuIndex gpuName samples avgUtilization maxUtilization maxMemoryUsed avgPower maxTemperature energy }
  tasks(first: 20) {
    nodes {
      id
      host
      startedAt
      endedAt
      durationMs
      transformation { name }
      used { name role value }
      models { id reference { uri } evaluations { name value } }
    }
    pageInfo { hasNextPage }
  }`;

export interface NameValue {
  name: string;
  value: unknown;
  role?: string;
}

export interface RunData {
  id: string;
  __typename: string;
  status: string;
  startedAt: string | null;
  endedAt: string | null;
  attributes: Record<string, unknown>;
  experiment: { name: string; version: number } | null;
  agent: { id: string; name: string | null } | null;
  metricNames: string[];
  used: NameValue[];
  gpuSummary: Array<{
    host: string | null;
    gpuIndex: number;
    gpuName: string | null;
    samples: number;
    avgUtilization: number | null;
    maxUtilization: number | null;
    maxMemoryUsed: string | null;
    avgPower: number | null;
    maxTemperature: number | null;
    energy: number | null;
  }>;
  tasks: {
    nodes: Array<{
      id: string;
      host: string | null;
      startedAt: string | null;
      endedAt: string | null;
      durationMs: number | null;
      transformation: { name: string } | null;
      used: NameValue[];
      models: Array<{ id: string; reference: { uri: string } | null; evaluations: NameValue[] }>;
      durationStats: Array<{
        parentId: string | null;
        count: number;
        minMs: number | null;
        avgMs: number | null;
        maxMs: number | null;
      }>;
    }>;
    pageInfo: { hasNextPage: boolean };
  };
}

export interface MetricPoint {
  step: string | null;
  value: number;
  context: string | null;
  recordedAt: string;
}

export interface TelemetryPoint {
  recordedAt: string;
  host: string | null;
  gpuIndex: number | null;
  gpuUtilization: number | null;
  gpuMemoryUsed: string | null;
  gpuPower: number | null;
  gpuTemperature: number | null;
}

export const RUN = `query WebRun($id: String!) { execution(id: $id) { ${RUN_FIELDS} } }`;

/** The run's metric names alone: the curves' first step, quick, so they need not wait for the rest. */
export const METRIC_NAMES = `query WebRunMetricNames($id: String!) { execution(id: $id) { id metricNames } }`;

/** What the run page draws besides the curves: batch times per epoch (Q4) and GPU telemetry. */
export const RUN_STATS = `query WebRunStats($id: String!) {
  execution(id: $id) {
    id
    tasks(first: 20) { nodes { id transformation { name } durationStats(of: "batch") { parentId count minMs avgMs maxMs } } }
    telemetry(limit: 5000) { recordedAt host gpuIndex gpuUtilization gpuMemoryUsed gpuPower gpuTemperature }
  }
}`;

export type DurationRow = {
  parentId: string | null;
  count: number;
  minMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
};

export interface RunStatsData {
  execution: {
    id: string;
    tasks: { nodes: Array<{ id: string; transformation: { name: string } | null; durationStats: DurationRow[] }> };
    telemetry: TelemetryPoint[];
  } | null;
}

/** One query for the named series of up to 10 runs (aliases r0.., m0..): one request per page. */
export function seriesQuery(runCount: number, names: string[], withTelemetry: boolean): string {
  const vars = Array.from({ length: runCount }, (_, i) => `$r${i}: String!`).join(', ');
  const body = Array.from({ length: runCount }, (_, i) => {
    const metrics = names
      .map((n, j) => `m${j}: metrics(name: ${JSON.stringify(n)}, limit: 5000) { step value context recordedAt }`)
      .join('\n');
    const tel = withTelemetry
      ? 'telemetry(limit: 5000) { recordedAt host gpuIndex gpuUtilization gpuMemoryUsed gpuPower gpuTemperature }'
      : '';
    return `r${i}: execution(id: $r${i}) { id ${metrics} ${tel} }`;
  }).join('\n');
  return `query WebRunSeries(${vars}) { ${body} }`;
}

/** Hyperparameters of a run: run-level values used and those its top-level tasks used. */
export function runParameters(run: RunData): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const t of run.tasks.nodes) for (const u of t.used) if (u.role !== 'LEARNING_DATASET_REFERENCE') out.set(u.name, u.value);
  for (const u of run.used) if (!out.has(u.name)) out.set(u.name, u.value);
  return out;
}
