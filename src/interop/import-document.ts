import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import { BadUserInputError } from '../errors';
import { ingestBatch, type IngestResult } from '../ingest/ingest-batch';
import type { SpecCatalog } from '../ingest/spec-catalog';
import { specHash } from '../ingest/workflow-spec';
import type { ImportPlan } from './import-plan';
import { planProvml } from './import-provml';
import { metricFilesOf, planYProv4ml, runIndexOf } from './import-yprov4ml';
import { readMetricFile, type MetricFileRead, type MetricFileReport } from './metric-files';
import { NS } from './namespaces';
import { readProvJson } from './prov-json-reader';
import { parsedWarnings, parsePythonJson, type KeptAsStrings } from './python-json';

export interface ImportDeps {
  store: ProvenanceStore;
  catalog: SpecCatalog;
  maxBatchEvents: number;
}

export interface ImportSummary {
  source: ImportPlan['source'];
  workflows: Array<{ name: string; version: number; created: boolean }>;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  issues: IngestResult['issues'];
  warnings: string[];
  /** Each metric file the document references: read (format, points) or why not. */
  files: MetricFileReport[];
}

/**
 * Plans the import of one PROV-JSON document: a provml export, a yProv4ML file, or any PROV-JSON.
 * The metric files a yProv4ML document references are read first (found relative to `baseDir`).
 */
export async function planImport(
  data: unknown,
  opts: { baseDir: string; fileName: string; text: string; kept?: KeptAsStrings },
): Promise<ImportPlan> {
  const doc = readProvJson(data);
  const digest = createHash('sha256').update(opts.text).digest('hex').slice(0, 16);
  const isProvml =
    Object.values(doc.prefixes).includes(NS.provml) && [...doc.activity.values()].some((a) => a.has(`${NS.provml}runId`));
  let plan: ImportPlan;
  if (isProvml) plan = planProvml(doc, digest);
  else {
    const row = runIndexOf(doc);
    const metricFiles = new Map<string, MetricFileRead>();
    for (const f of metricFilesOf(doc)) metricFiles.set(f, await readMetricFile(f, opts.baseDir, row));
    plan = planYProv4ml(doc, { ...opts, digest, metricFiles });
  }
  if (opts.kept) plan.warnings.unshift(...parsedWarnings(opts.kept, ` of ${opts.fileName}`).map((w) => w.message));
  return plan;
}

/** A PROV-JSON file's text parsed as Python's `prov` library writes it (NaN, Infinity and big integers included). */
export function parseDocumentText(text: string): { data: unknown; kept: KeptAsStrings } {
  const { value, nonFinite, bigIntegers } = parsePythonJson(text);
  return { data: value, kept: { nonFinite, bigIntegers } };
}

/** Registers the plan's specs and ingests its events in batches; importing twice changes nothing. */
export async function runImport(plan: ImportPlan, deps: ImportDeps): Promise<ImportSummary> {
  const versions = new Map<string, number>();
  const workflows: ImportSummary['workflows'] = [];
  for (const { spec, version } of plan.specs) {
    const r = await deps.store.registerWorkflow(spec, specHash(spec));
    workflows.push({ name: r.workflow.name, version: r.workflow.version, created: r.created });
    if (version !== undefined) versions.set(`${spec.name}\u0000${version}`, r.workflow.version);
  }
  const events = plan.events.map((e) => {
    if (e.type !== 'workflowBegin' || e.version === undefined) return e;
    const mapped = versions.get(`${String(e.workflow)}\u0000${String(e.version)}`);
    return mapped === undefined ? e : { ...e, version: mapped };
  });
  const summary: ImportSummary = {
    source: plan.source,
    workflows,
    events: events.length,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    issues: [],
    warnings: plan.warnings,
    files: plan.files,
  };
  const size = Math.max(1, Math.min(deps.maxBatchEvents, 5000));
  for (let i = 0; i < events.length; i += size) {
    const r = await ingestBatch(events.slice(i, i + size), deps);
    summary.accepted += r.accepted;
    summary.duplicates += r.duplicates;
    summary.rejected += r.rejected;
    summary.issues.push(...r.issues.map((x) => ({ ...x, index: x.index + i })));
  }
  return summary;
}

/** The library entry: reads a PROV-JSON file and imports it. */
export async function importProvJsonFile(file: string, deps: ImportDeps): Promise<ImportSummary> {
  const text = await fs.readFile(file, 'utf8');
  let parsed: ReturnType<typeof parseDocumentText>;
  try {
    parsed = parseDocumentText(text);
  } catch (err) {
    throw new BadUserInputError(`${file} is not JSON: ${(err as Error).message}`, 'file');
  }
  return runImport(
    await planImport(parsed.data, {
      baseDir: path.dirname(path.resolve(file)),
      fileName: path.basename(file),
      text,
      kept: parsed.kept,
    }),
    deps,
  );
}
