import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import { withDeadline } from '../connectors/store-call';
import type { CreatedStore } from '../connectors/store-config';
import type { StoreRegistry } from '../connectors/store-registry';

/** One line of /readyz: a store, the local PostgreSQL, a background worker, the server itself. */
export interface ReadinessCheck {
  name: string;
  kind: 'provenance' | 'knowledge' | 'documents' | 'objects' | 'worker' | 'server';
  /** The backend (local, server, oxigraph, files, s3, ...) or the worker's state. */
  backend?: string;
  state: 'up' | 'down';
  ms: number;
  /** Why it is down (a typed error's message: no secrets, one line). */
  error?: string;
  /** What a worker reports besides up or down (the parked events: count, oldest age, limits passed). */
  info?: Record<string, unknown>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: ReadinessCheck[];
}

export interface ReadinessDeps {
  store: ProvenanceStore;
  /** `local`: the PostgreSQL that this server runs in its data directory. */
  backend: 'local' | 'server';
  registry?: StoreRegistry;
  /** Background workers by name, running or not. */
  workers: () => Array<{ name: string; running: boolean; error: string | null; info?: Record<string, unknown> }>;
  /** True from the moment a drain begins: a proxy should send nothing more here. */
  draining: () => boolean;
  /** Bound of each probe (ms); default 2000. */
  timeoutMs?: number;
}

// A key no store holds: probes ask for it and expect "not found", which proves the store answers.
const PROBE_KEY = 'urn:provml:readyz';

/** Down only when the store could not answer: a typed outage or timeout, or a throw. */
const outage = (r: unknown): string | null => {
  if (!(r instanceof Error)) return null;
  const code = (r as { extensions?: { code?: unknown } }).extensions?.code;
  return code === 'STORE_UNAVAILABLE' || code === 'STORE_TIMEOUT' || code === undefined ? r.message : null;
};

async function probeStore(store: CreatedStore): Promise<string | null> {
  switch (store.kind) {
    case 'sparql':
      await store.knowledge.query('ASK { }');
      return null;
    case 'mongodb':
      return outage((await store.documents.findByUris([PROBE_KEY]))[0]);
    case 's3':
    case 'fs':
      return outage((await store.objects.stat([store.kind === 's3' ? `s3://provml-readyz/${PROBE_KEY}` : `/${PROBE_KEY}`]))[0]);
    default:
      return null;
  }
}

async function timed(
  check: Omit<ReadinessCheck, 'state' | 'ms'>,
  timeoutMs: number,
  probe: () => Promise<string | null>,
): Promise<ReadinessCheck> {
  const started = performance.now();
  let error: string | null;
  try {
    error = await withDeadline(check.name, timeoutMs, probe);
  } catch (err) {
    error = err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
  const ms = Math.round(performance.now() - started);
  return error === null ? { ...check, state: 'up', ms } : { ...check, state: 'down', ms, error };
}

/**
 * Asks every store at once (each under its own deadline), and the workers: ready when all are
 * up and no drain has begun. Every store counts, the secondary ones too: an operator wants the
 * 503 and its name (a query would lose that store's fields); docs/deploy.md says how a proxy
 * should use this next to /healthz.
 */
export async function checkReadiness(deps: ReadinessDeps): Promise<ReadinessReport> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const stores = deps.registry?.stores.filter((s) => s.kind !== 'graphql') ?? [];
  const checks = await Promise.all([
    timed({ name: 'provenance', kind: 'provenance', backend: deps.backend }, timeoutMs, async () => {
      await deps.store.ping();
      return null;
    }),
    ...stores.map((s) => timed({ name: s.id, kind: roleOf(s), backend: s.backend }, timeoutMs, () => probeStore(s))),
  ]);
  for (const w of deps.workers()) {
    const backend = w.running ? 'running' : 'stopped';
    // A worker whose last poll failed cannot take jobs (its store is down): not ready.
    const info = w.info ? { info: w.info } : {};
    if (w.running && !w.error) checks.push({ name: w.name, kind: 'worker', backend, state: 'up', ms: 0, ...info });
    else checks.push({ name: w.name, kind: 'worker', backend, state: 'down', ms: 0, error: w.error ?? 'stopped', ...info });
  }
  if (deps.draining())
    checks.push({ name: 'server', kind: 'server', backend: 'draining', state: 'down', ms: 0, error: 'draining' });
  return { ready: checks.every((c) => c.state === 'up'), checks };
}

const roleOf = (s: CreatedStore): ReadinessCheck['kind'] =>
  s.kind === 'sparql' ? 'knowledge' : s.kind === 'mongodb' ? 'documents' : 'objects';

/**
 * The /readyz body: the status always, the checks only when `details` (store names, backends
 * and errors describe the deployment: the caller decides who may see them).
 */
export function readinessBody(report: ReadinessReport, details: boolean): Record<string, unknown> {
  const status = report.ready ? 'ready' : 'unavailable';
  if (!details) return { status };
  return { status, checks: report.checks };
}
