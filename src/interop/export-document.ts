import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import { BadUserInputError } from '../errors';
import { writeDot } from './dot-writer';
import { DEFAULT_EXPORT_LIMITS, provRecords, type ExportLimits, type ExportScope } from './export-source';
import type { ProvRecord } from './prov-records';
import { writeJsonLd } from './jsonld-writer';
import { writeProvJson } from './prov-json-writer';
import { writeSvg } from './svg-writer';
import { writeTurtle } from './turtle-writer';

export const EXPORT_FORMATS = ['prov-json', 'turtle', 'jsonld', 'dot', 'svg'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  'prov-json': 'application/json',
  turtle: 'text/turtle',
  jsonld: 'application/ld+json',
  dot: 'text/vnd.graphviz',
  svg: 'image/svg+xml',
};

export function parseFormat(s: string | undefined | null, field = 'format'): ExportFormat {
  const f = (s ?? 'prov-json').toLowerCase();
  const alias: Record<string, ExportFormat> = {
    provjson: 'prov-json',
    json: 'prov-json',
    ttl: 'turtle',
    'json-ld': 'jsonld',
    gv: 'dot',
  };
  const out = (EXPORT_FORMATS as readonly string[]).includes(f) ? (f as ExportFormat) : alias[f];
  if (!out) throw new BadUserInputError(`unknown export format ${JSON.stringify(s)}; one of ${EXPORT_FORMATS.join(', ')}`, field);
  return out;
}

/** The scope named by the optional run / entity / depth arguments (entity and run exclude each other). */
export function parseScope(
  run: string | null | undefined,
  entity: string | null | undefined,
  depth: number | null | undefined,
): ExportScope {
  if (run && entity) throw new BadUserInputError('give either a run or an entity, not both', 'entity');
  if (run) return { kind: 'run', runId: run };
  if (entity) return { kind: 'entity', uri: entity, depth: depth ?? 10 };
  return { kind: 'all' };
}

/**
 * A document in one format, as a stream of text chunks. The first record is read before the
 * writer starts: writers emit a prologue (prefixes, `digraph {`) before pulling a record, so a
 * missing run or URI would otherwise surface only after a 200 had begun. So the first `next()`
 * throws NOT_FOUND in every format, before any text.
 */
export async function* exportDocument(
  store: ProvenanceStore,
  scope: ExportScope,
  format: ExportFormat,
  limits: ExportLimits = DEFAULT_EXPORT_LIMITS,
): AsyncGenerator<string> {
  const source = provRecords(store, scope, limits);
  const first = await source.next();
  yield* writerFor(format, prepend(first, source));
}

async function* prepend(first: IteratorResult<ProvRecord>, rest: AsyncGenerator<ProvRecord>): AsyncGenerator<ProvRecord> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}

function writerFor(format: ExportFormat, records: AsyncGenerator<ProvRecord>): AsyncGenerator<string> {
  switch (format) {
    case 'prov-json':
      return writeProvJson(records);
    case 'turtle':
      return writeTurtle(records);
    case 'jsonld':
      return writeJsonLd(records);
    case 'dot':
      return writeDot(records);
    case 'svg':
      return writeSvg(records);
  }
}

export async function exportToString(
  store: ProvenanceStore,
  scope: ExportScope,
  format: ExportFormat,
  limits?: ExportLimits,
): Promise<string> {
  let s = '';
  for await (const chunk of exportDocument(store, scope, format, limits)) s += chunk;
  return s;
}
