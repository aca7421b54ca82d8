import fs from 'node:fs';
import path from 'node:path';
import { BadUserInputError } from '../errors';
import { readMetricCsv, type MetricPoint } from './metric-csv';
import { readNetcdfMetric } from './netcdf-metric';
import { readZarrMetric } from './zarr-metric';

/**
 * The metric files a yProv4ML document references (CSV, NetCDF, Zarr), read before the import
 * is planned. Every file gets a report, so an import says plainly which values it could not read.
 */
export interface MetricFileReport {
  /** The path as the document writes it. */
  path: string;
  /** Where it was found, relative paths resolved below the document's directory; null if not found. */
  foundAt: string | null;
  status: 'read' | 'not-found' | 'unreadable';
  /** csv, NetCDF-4, CDF-1, CDF-2, CDF-5, zarr-v2, zarr-v3. */
  format: string | null;
  points: number;
  /** Why it was not read, or what was read (the experiment row of a unified file). */
  message: string | null;
  /**
   * The file's own attributes (a NetCDF file's `_name`, `_context`, `_source`; a Zarr group's and a
   * CSV header's `name`, `context`, `source`).
   */
  attributes?: Record<string, unknown>;
}

export interface MetricFileRead {
  report: MetricFileReport;
  points: MetricPoint[];
}

/** True when the real path of `p` lies under `realBase` (false when `p` cannot be resolved). */
function realUnder(p: string, realBase: string): boolean {
  try {
    const rel = path.relative(realBase, fs.realpathSync(p));
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  } catch {
    return false;
  }
}

/**
 * Finds a referenced file below the document's directory, and only there: yProv4ML writes paths
 * relative to the job's cwd (or absolute on the job's machine), so the path as written is tried
 * first, then its shorter and shorter tails below `baseDir`. A document names files, and a
 * document from elsewhere must not make the importer read (and send on) `/home/me/notes.txt`:
 * anything whose real path (after `..` and symlinks) leaves `baseDir` is not read.
 */
export function resolveFile(p: string, baseDir: string): string | null {
  let realBase: string;
  try {
    realBase = fs.realpathSync(baseDir);
  } catch {
    return null;
  }
  if (path.isAbsolute(p) && fs.existsSync(p) && realUnder(p, realBase)) return p;
  const parts = p.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  for (let i = 0; i < parts.length; i++) {
    const candidate = path.join(baseDir, ...parts.slice(i));
    if (fs.existsSync(candidate) && realUnder(candidate, realBase)) return candidate;
  }
  return null;
}

const METRIC_FILE = /\.(csv|txt|nc|nc4|cdf|netcdf|zarr)$/i;
export const isMetricFile = (p: string): boolean => METRIC_FILE.test(p.replace(/[\\/]+$/, ''));

/** Reads one metric file; never throws for a bad file (the report says what went wrong). */
export async function readMetricFile(written: string, baseDir: string, row?: number): Promise<MetricFileRead> {
  const foundAt = resolveFile(written, baseDir);
  const ext = path.extname(written.replace(/[\\/]+$/, '')).toLowerCase();
  const report = (r: Partial<MetricFileReport>): MetricFileReport => ({
    path: written,
    foundAt,
    status: 'read',
    format: null,
    points: 0,
    message: null,
    ...r,
  });
  if (!foundAt)
    return {
      report: report({
        status: 'not-found',
        message: 'no such file beside the document (files outside its folder are never read)',
      }),
      points: [],
    };
  try {
    if (ext === '.zarr') {
      // A directory store: readZarrMetric reads only files whose real path stays inside it.
      const m = readZarrMetric(foundAt);
      return { report: report({ format: m.format, points: m.points.length, attributes: m.attributes }), points: m.points };
    }
    if (ext === '.csv' || ext === '.txt') {
      const { points, attributes } = readMetricCsv(fs.readFileSync(foundAt, 'utf8'), written);
      return { report: report({ format: 'csv', points: points.length, ...(attributes ? { attributes } : {}) }), points };
    }
    const m = await readNetcdfMetric(new Uint8Array(fs.readFileSync(foundAt)), row);
    return {
      report: report({
        format: m.format,
        points: m.points.length,
        attributes: m.attributes,
        message: m.row !== undefined ? `experiment row ${m.row} of a unified file` : null,
      }),
      points: m.points,
    };
  } catch (err) {
    const message = err instanceof BadUserInputError || err instanceof Error ? err.message : String(err);
    return { report: report({ status: 'unreadable', message }), points: [] };
  }
}
