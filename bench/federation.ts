/**
 * The model card (examples/queries/model-card.graphql) through the stitched gateway over HTTP,
 * against the same data fetched by direct connector calls in the same process, interleaved.
 *
 *   npm run build && npx tsx bench/federation.ts [--samples 200] [--servers | --embedded]
 *
 * Gateway: `provml serve` as the CLI starts it (startServer) with the demo lifecycle in the local
 * PostgreSQL (a temp data directory), asked over HTTP by a keep-alive client in this process.
 * Two store set-ups, each in its own run with its own server, both by default:
 * - servers: the knowledge and object stores are a real Virtuoso and a real S3 server (s3rver),
 *   started and loaded as the tests do; the documents are the GeoJSON directory;
 * - embedded: Oxigraph in-process over the demo Turtle, the GeoJSON directory and the file-system
 *   store, all in this process, so every store read costs CPU here and the gateway's fixed cost
 *   (HTTP, Apollo, stitching) weighs most.
 * Direct: the same reads a hand-written client would make through the connectors, with
 * independent reads in parallel (provenance store methods, knowledge describe, document
 * findByUris, object stat), on the server's own provenance store and a registry of its own.
 * Round trips are counted by wrapping the connector classes' batch methods and the provenance
 * store's methods: every call still reaches its store.
 * Imports server code from dist/ only (tsx does not emit decorator metadata). Runs with
 * NODE_ENV=production unless set, as the server does (production-mode.ts).
 */
import './production-mode';
import fs from 'node:fs';
import { keepAlivePost } from './keep-alive-post';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execute, parse } from 'graphql';
import { loadConfig } from '../dist/config';
import { createContext, type AppDeps } from '../dist/context';
import { FileDocumentStore } from '../dist/connectors/documents/file-document-store';
import { MongoDocumentStore } from '../dist/connectors/documents/mongo-document-store';
import { OxigraphKnowledgeStore } from '../dist/connectors/knowledge/oxigraph-knowledge-store';
import { SparqlKnowledgeStore } from '../dist/connectors/knowledge/sparql-knowledge-store';
import { FsObjectStore } from '../dist/connectors/objects/fs-object-store';
import { S3ObjectStore } from '../dist/connectors/objects/s3-object-store';
import type { ProvenanceStore } from '../dist/connectors/provenance/provenance-store';
import type { DataRefRow, ValueRow } from '../dist/connectors/provenance/rows';
import {
  demoRegistryFile,
  EXAMPLES_STORES_DIR,
  openRegistry,
  type RegistryFile,
  type StoreRegistry,
} from '../dist/connectors/store-registry';
import { loadDemoStores } from '../dist/demo/load-demo-stores';
import { SpecCatalog } from '../dist/ingest/spec-catalog';
import { createLogger } from '../dist/logger';
import { defaultGatewaySchema } from '../dist/schema/stitch';
import { startServer } from '../dist/server';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverServer } from '../test/helpers/s3rver';
import { startVirtuoso, type VirtuosoServer } from '../test/helpers/virtuoso';

const argv = process.argv;
const SAMPLES = Number(argv.includes('--samples') ? argv[argv.indexOf('--samples') + 1] : '200');
// Both store set-ups by default, servers first; --servers or --embedded runs one.
const SETUPS: Array<'servers' | 'embedded'> = argv.includes('--servers')
  ? ['servers']
  : argv.includes('--embedded')
    ? ['embedded']
    : ['servers', 'embedded'];
const WARMUP = 20;
const MODEL = '/models/model188.hdf5';
const QUERY = fs.readFileSync(path.join(__dirname, '../examples/queries/model-card.graphql'), 'utf8');
// The server's own shutdown logs (pool connections ended by its PostgreSQL stopping) are not figures.
const log = createLogger('error');

// ---- round trips: one counter per store id, bumped by wrappers around the real methods ----
const calls = new Map<string, number>();
const bump = (id: string) => calls.set(id, (calls.get(id) ?? 0) + 1);
function countMethod(proto: object, name: string) {
  const p = proto as Record<string, unknown>;
  const orig = p[name] as (...a: unknown[]) => unknown;
  p[name] = function (this: { id: string }, ...a: unknown[]) {
    bump(this.id);
    return orig.apply(this, a);
  };
}
countMethod(OxigraphKnowledgeStore.prototype, 'describe');
countMethod(SparqlKnowledgeStore.prototype, 'describe');
countMethod(FileDocumentStore.prototype, 'findByUris');
countMethod(MongoDocumentStore.prototype, 'findByUris');
countMethod(FsObjectStore.prototype, 'stat');
countMethod(S3ObjectStore.prototype, 'stat');
/** Counts every method call of the provenance store object (each is one SQL round trip or a few). */
function countProvenance(store: ProvenanceStore) {
  const target = store as unknown as Record<string, unknown>;
  for (let o: object | null = store; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const fn = target[name];
      if (name === 'constructor' || typeof fn !== 'function' || Object.hasOwn(target, name)) continue;
      target[name] = (...a: unknown[]) => (bump('provenance'), (fn as (...x: unknown[]) => unknown).apply(store, a));
    }
  }
}

// ---- the direct client: the model card's data through the connectors ----
async function directModelCard(store: ProvenanceStore, registry: StoreRegistry) {
  const [refs] = await store.dataRefsByUris([MODEL]);
  const [generated] = await store.valuesByDataRefIds(
    refs.map((r) => r.id),
    'GENERATED',
  );
  const model = generated
    .filter((v) => v.role === 'MODEL_REFERENCE')
    .sort((a, b) => Number(a.id) - Number(b.id))
    .at(-1)!;
  const modelRef = refs.find((r) => r.id === model.dataRefId)!;
  // The epoch task and its ancestors, the run, its GPUs and the model object, together.
  const chainP = (async () => {
    const chain = [];
    for (let id = model.taskId; id && chain.length < 16;) {
      const [t] = await store.tasksByIds([id]);
      if (!t) break;
      chain.push(t);
      id = t.parentId;
    }
    return chain;
  })();
  const [chain, [run], gpus, [modelObject]] = await Promise.all([
    chainP,
    store.runsByIds([model.runId]),
    store.gpuSummary([{ runId: model.runId, taskId: null }]).then(([g]) => g),
    stat(registry, [modelRef]),
  ]);
  const [perTask, [runLevel]] = await Promise.all([
    store.valuesByTaskIds(chain.map((t) => t.id)),
    store.runValuesByRunIds([model.runId]),
  ]);
  const seen = new Set<string>();
  const inScope: ValueRow[] = [];
  for (const v of [...perTask.flat(), ...runLevel]) {
    if (v.direction === 'USED' && !seen.has(v.name)) {
      seen.add(v.name);
      inScope.push(v);
    }
  }
  const siblings = perTask[0] ?? [];
  const hyperparameters = [
    ...inScope.filter((v) => v.role === 'LEARNING_HYPERPARAMETER'),
    ...siblings.filter((v) => v.direction === 'GENERATED' && v.role === 'MODEL_HYPERPARAMETER'),
  ];
  const evaluations = siblings.filter((v) => v.direction === 'GENERATED' && v.role === 'EVALUATION_MEASURE');
  const datasetValues = inScope.filter((v) => v.role === 'LEARNING_DATASET_REFERENCE' && v.dataRefId);
  const datasetRefs = (await store.dataRefsByIds(datasetValues.map((v) => v.dataRefId!))).filter(
    (r): r is DataRefRow => r !== null,
  );
  // Each dataset: its object, and what it was derived from (its generating tasks' inputs, explicit relations).
  const [datasetObjects, genByDataset, relations] = await Promise.all([
    stat(registry, datasetRefs),
    store.valuesByDataRefIds(
      datasetRefs.map((r) => r.id),
      'GENERATED',
    ),
    store.relationsFrom(datasetRefs.map((r) => `ref:${r.id}`)),
  ]);
  const genTasks = [...new Set(genByDataset.flat().flatMap((v) => (v.taskId ? [v.taskId] : [])))];
  const usedByGen = await store.valuesByTaskIds(genTasks);
  const rawIds = new Set<string>();
  for (const v of usedByGen.flat()) if (v.direction === 'USED' && v.dataRefId) rawIds.add(v.dataRefId);
  for (const r of relations.flat())
    if (r.kind === 'WAS_DERIVED_FROM' && r.object.startsWith('ref:')) rawIds.add(r.object.slice(4));
  const rawRefs = (await store.dataRefsByIds([...rawIds])).filter((r): r is DataRefRow => r !== null);
  const [knowledge, documents, rawObjects] = await Promise.all([
    describe(registry, rawRefs),
    findDocuments(registry, rawRefs),
    stat(registry, rawRefs),
  ]);
  return {
    model,
    modelRef,
    modelObject,
    hyperparameters,
    evaluations,
    datasetRefs,
    datasetObjects,
    rawRefs,
    knowledge,
    documents,
    rawObjects,
    task: chain[0],
    run,
    gpus,
  };
}

/** Object metadata from the store each reference names (one stat call per store). */
async function stat(registry: StoreRegistry, refs: DataRefRow[]) {
  const out = await Promise.all(
    refs.map(async (r) => {
      const s = registry.get(r.store);
      return s && (s.kind === 's3' || s.kind === 'fs') ? { s, key: registry.keyFor(s.id, r.uri) } : null;
    }),
  );
  const byStore = new Map<string, { keys: string[]; at: number[] }>();
  out.forEach((x, i) => {
    if (!x) return;
    const e = byStore.get(x.s.id) ?? { keys: [], at: [] };
    e.keys.push(x.key);
    e.at.push(i);
    byStore.set(x.s.id, e);
  });
  const result: unknown[] = refs.map(() => null);
  await Promise.all(
    [...byStore].map(async ([id, e]) => {
      const s = registry.get(id)!;
      if (s.kind !== 's3' && s.kind !== 'fs') return;
      const metas = await s.objects.stat(e.keys);
      metas.forEach((m, j) => (result[e.at[j]] = m));
    }),
  );
  return result;
}

async function describe(registry: StoreRegistry, refs: DataRefRow[]) {
  return Promise.all(
    registry.withRole('knowledge').map((s) => {
      const iris = refs.map((r) => registry.keyFor(s.id, r.uri)).filter((k) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(k));
      return iris.length ? s.knowledge.describe(iris) : [];
    }),
  );
}

async function findDocuments(registry: StoreRegistry, refs: DataRefRow[]) {
  return Promise.all(
    registry.withRole('documents').map((s) => s.documents.findByUris(refs.map((r) => registry.keyFor(s.id, r.uri)))),
  );
}

// ---- the stores ----
interface Setup {
  registryFile: RegistryFile;
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function serverStores(): Promise<Setup> {
  const virtuoso: VirtuosoServer = await startVirtuoso();
  let s3: S3rverServer | undefined;
  try {
    s3 = await startS3rver(['provml-demo']);
  } catch (err) {
    await virtuoso.stop();
    throw err;
  }
  return {
    registryFile: {
      stores: [
        {
          id: 'fs',
          kind: 's3',
          endpoint: s3.endpoint,
          options: { bucket: 'provml-demo' },
          uriMap: { '/': 's3://provml-demo/' },
          secretsFromEnv: { accessKeyId: 'BENCH_S3_KEY', secretAccessKey: 'BENCH_S3_SECRET' },
        },
        {
          id: 'knowledge',
          kind: 'sparql',
          endpoint: virtuoso.sparqlUrl,
          options: { graphs: ['http://provml.dev/graph/demo'] },
          uriMap: { '/data/': 'http://ibm.com/' },
        },
        { id: 'documents', kind: 'mongodb', options: { directory: path.join(EXAMPLES_STORES_DIR, 'documents') } },
      ],
    },
    env: { BENCH_S3_KEY: S3RVER_CREDENTIALS.accessKeyId, BENCH_S3_SECRET: S3RVER_CREDENTIALS.secretAccessKey },
    stop: async () => {
      await s3?.stop();
      await virtuoso.stop();
    },
  };
}

// A plain keep-alive HTTP client: the figure is the server's latency, and undici's fetch adds
// ~0.5 ms of its own per request in this process, which a client elsewhere would not cost the server.
const { post } = keepAlivePost(1);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))];
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

/** One store set-up: returns the median and p99 ratios gateway / direct, and the ratio of CPU medians. */
async function bench(SERVERS: boolean): Promise<{ median: number; p99: number; cpu: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'provml-fedbench-'));
  await chmod(dir, 0o755); // the local PostgreSQL runs as postgres: its cluster stays under this folder
  const setup: Setup = SERVERS ? await serverStores() : { registryFile: demoRegistryFile(), env: {}, stop: async () => {} };
  const configPath = path.join(dir, 'provml.config.json');
  // Relative paths of the demo registry are taken from the config file's folder: make them absolute.
  const file = JSON.parse(JSON.stringify(setup.registryFile), (k, v) =>
    (k === 'root' || k === 'directory') && typeof v === 'string'
      ? path.resolve(EXAMPLES_STORES_DIR, v)
      : k === 'files' && Array.isArray(v)
        ? v.map((f: string) => path.resolve(EXAMPLES_STORES_DIR, f))
        : v,
  ) as RegistryFile;
  await writeFile(configPath, JSON.stringify(file));
  const registry = await openRegistry(file, { env: setup.env, baseDir: dir });
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    if (SERVERS) await loadDemoStores(registry, { env: setup.env });
    const started = Date.now();
    server = await startServer(
      loadConfig({
        PROVML_DATA_DIR: path.join(dir, 'data'),
        PROVML_CONFIG: configPath,
        PORT: '0',
        PROVML_DEMO: '1',
        PROVML_LOG_LEVEL: 'warn',
      }),
      log,
      { env: setup.env },
    );
    const store = server.store.store;
    countProvenance(store);
    console.log(`federation benchmark: model card of ${MODEL}, ${SAMPLES} samples each after ${WARMUP} warm-up, interleaved`);
    console.log(
      `stores: provenance = local PostgreSQL (${server.store.backend}), ${registry.stores.map((s) => `${s.id} = ${s.backend}`).join(', ')}; server up with the demo in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    const body = JSON.stringify({ query: QUERY, variables: { model: MODEL } });
    const gateway = async () => {
      const json = JSON.parse(await post(server!.url, body)) as {
        data?: {
          model: {
            reference: { object: { size: string } };
            hyperparameters: unknown[];
            trainingExecution: { run: { gpuSummary: unknown[] } };
          };
        };
        errors?: unknown[];
      };
      if (json.errors) throw new Error(`gateway: ${JSON.stringify(json.errors).slice(0, 300)}`);
      return json.data!.model;
    };
    const direct = () => directModelCard(store, registry);
    // The same gateway schema executed in-process (no HTTP, no Apollo): where the gateway's time goes.
    const config = loadConfig({ PROVML_DATA_DIR: path.join(dir, 'data'), PROVML_DEMO: '0' });
    const deps: AppDeps = { config, store, catalog: new SpecCatalog(store), log, dataStores: registry.kinds(), registry };
    const document = parse(QUERY);
    const schema = defaultGatewaySchema();
    const inProcess = async () => {
      const r = await execute({ schema, document, variableValues: { model: MODEL }, contextValue: createContext(deps) });
      if (r.errors) throw new Error(`in-process: ${JSON.stringify(r.errors).slice(0, 300)}`);
      return r.data;
    };
    const paths = { gateway, inProcess, direct };
    type PathName = keyof typeof paths;

    // Same data: the figures both sides show must agree before anything is timed.
    const g = await gateway();
    const d = await direct();
    const same =
      g.reference.object.size === String((d.modelObject as { size: number }).size) &&
      g.hyperparameters.length === d.hyperparameters.length &&
      g.trainingExecution.run.gpuSummary.length === d.gpus.length &&
      d.rawRefs.length === 1 &&
      (d.rawObjects[0] as { size?: number } | null)?.size !== undefined;
    if (!same) throw new Error(`the two paths disagree: ${JSON.stringify({ g, d }).slice(0, 500)}`);

    const names = Object.keys(paths) as PathName[];
    const times = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<PathName, number[]>;
    // CPU of this process per query (server and client both live here): less swayed by a loaded machine.
    const cpu = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<PathName, number[]>;
    const trips = Object.fromEntries(names.map((n) => [n, new Map<string, number>()])) as Record<PathName, Map<string, number>>;
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      // Rotate which path goes first, so none always finds the others' warm caches.
      const order = names.map((_, j) => names[(i + j) % names.length]);
      for (const which of order) {
        calls.clear();
        const c = process.cpuUsage();
        const t = process.hrtime.bigint();
        await paths[which]();
        const took = ms(t);
        const used = process.cpuUsage(c);
        if (i < WARMUP) continue;
        times[which].push(took);
        cpu[which].push((used.user + used.system) / 1000);
        if (i === WARMUP) for (const [id, n] of calls) trips[which].set(id, n);
      }
    }
    const line = (name: string, which: PathName) =>
      `  ${name.padEnd(28)} median ${pct(times[which], 0.5).toFixed(2).padStart(7)} ms   p99 ${pct(times[which], 0.99).toFixed(2).padStart(7)} ms   cpu median ${pct(cpu[which], 0.5).toFixed(2).padStart(6)} ms`;
    console.log(line('gateway over HTTP', 'gateway'));
    console.log(line('gateway schema in-process', 'inProcess'));
    console.log(line('direct connector calls', 'direct'));
    const ratio = (p: number) => pct(times.gateway, p) / pct(times.direct, p);
    const cpuRatio = pct(cpu.gateway, 0.5) / pct(cpu.direct, 0.5);
    console.log(
      `  ratio gateway / direct       median ${ratio(0.5).toFixed(2)}x   p99 ${ratio(0.99).toFixed(2)}x   cpu ${cpuRatio.toFixed(2)}x   (target <= 1.25x)`,
    );
    const ids = [...new Set([...trips.gateway.keys(), ...trips.direct.keys()])].sort();
    console.log('round trips per query (connector / provenance store calls):');
    for (const id of ids) {
      console.log(
        `  ${id.padEnd(12)} gateway ${String(trips.gateway.get(id) ?? 0).padStart(3)}   in-process ${String(trips.inProcess.get(id) ?? 0).padStart(3)}   direct ${String(trips.direct.get(id) ?? 0).padStart(3)}`,
      );
    }
    return { median: ratio(0.5), p99: ratio(0.99), cpu: cpuRatio };
  } finally {
    await server?.stop();
    await registry.close();
    await setup.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const results: string[] = [];
  for (const setup of SETUPS) {
    const r = await bench(setup === 'servers');
    results.push(`  ${setup.padEnd(9)} median ${r.median.toFixed(2)}x   p99 ${r.p99.toFixed(2)}x   cpu ${r.cpu.toFixed(2)}x`);
    console.log('');
  }
  console.log('summary, model card gateway / direct (target <= 1.25x):');
  for (const line of results) console.log(line);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
