import { z } from 'zod';
import type { ExtractOptions } from '../extractors/extract';
import { parseEpsg } from './projected-crs';

/**
 * The options a data reference may carry in `"extract": {...}` (docs/extract.md). Only what a
 * job writer should choose is exposed; read sizes and concurrency stay server settings.
 */
const OptionsSchema = z
  .object({
    /** Sample trace headers and infer a regular grid (the result says the ranges were inferred). */
    fast: z.boolean().optional(),
    format: z.enum(['segy', 'hdf5']).optional(),
    /** Trace header bytes of the line numbers, when the file does not follow rev 1 (189 / 193). */
    inlineByte: z.number().int().min(1).max(237).optional(),
    crosslineByte: z.number().int().min(1).max(237).optional(),
    /** CRS of the SEG-Y coordinates, e.g. "EPSG:32631"; default: an EPSG code in the textual header. */
    crs: z
      .string()
      .regex(/^EPSG:\d{4,5}$/, 'must be "EPSG:<code>"')
      .optional(),
    /** Write the footprint polygon to the document store (default true). */
    footprint: z.boolean().optional(),
    /** Id of the document store to write the footprint to (default: the server's choice). */
    documentStore: z.string().min(1).max(64).optional(),
  })
  .strict();

export interface ExtractRequest {
  extract: ExtractOptions;
  crs: string | null;
  writeFootprint: boolean;
  documentStore: string | null;
}

/** A request whose options are wrong: the job fails with this, naming the option. */
export class BadExtractOptionsError extends Error {
  readonly code = 'BAD_OPTIONS';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'BadExtractOptionsError';
  }
}

/** Checks a job's stored options (`{}` for `extract: true`). */
export function parseExtractRequest(options: unknown): ExtractRequest {
  if (!options || typeof options !== 'object' || Array.isArray(options)) {
    throw new BadExtractOptionsError('extract', `extract must be true or an object of options, got ${JSON.stringify(options)}`);
  }
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = ['extract', ...issue.path, ...keys.slice(0, 1)].join('.');
    const message = keys.length ? `unknown option ${keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message;
    throw new BadExtractOptionsError(field, `${field}: ${message}`);
  }
  const o = parsed.data;
  if (o.crs) {
    try {
      parseEpsg(o.crs);
    } catch (err) {
      throw new BadExtractOptionsError('extract.crs', `extract.crs: ${(err as Error).message}`);
    }
  }
  return {
    extract: { fast: o.fast, format: o.format, inlineByte: o.inlineByte, crosslineByte: o.crosslineByte },
    crs: o.crs ?? null,
    writeFootprint: o.footprint ?? true,
    documentStore: o.documentStore ?? null,
  };
}
