import fs from 'node:fs';
import path from 'node:path';
import { BadUserInputError } from '../errors';
import { parseMetricCsv, type MetricPoint } from './metric-csv';
import { readNetcdfMetric } from './netcdf-metric';

/**
 * The metric files a yProv4ML document references (CSV, NetCDF, Zarr), read before the import
 * is planned. Every file gets a report, so an import says plainly which values it could not read.
 */
export interface MetricFileReport {
  /** The path as the document writes it. */
  path: string;
  /** Where it was found, relative paths resolved below the document's directory; null if not found. */
  foundAt: string | null;
  status: 'read' | 'not-found' | 'unreadable' | 'not-read';
  /** csv, NetCDF-4, CDF-1, CDF-2, CDF-5, zarr. */
  format: string | null;
  points: number;
  /** Why it was not read, or what was read (the experiment row of a unified file). */
  message: string | null;
  /** The file's own attributes (a NetCDF file's `_name`, `_context`, `_source`). */
  attributes?: Record<string, unknown>;
}

export interface MetricFileRead {
  report: MetricFileReport;
  points: MetricPoint[];
}

/** Finds a referenced file: as written, or below the document's directory (yProv4ML writes paths relative to the job's cwd). */
export function resolveFile(p: string, baseDir: string): string | null {
  if (path.isAbsolute(p)) return fs.existsSync(p) ? p : null;
  const parts = p.split(/[\\/]/);
  for (let i = 0; i < parts.length; i++) {
    const candidate = path.join(baseDir, ...parts.slice(i));
    if (fs.existsSync(candidate)) return candidate;
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
  if (!foundAt) return { report: report({ status: 'not-found', message: 'no such file beside the document' }), points: [] };
  if (ext === '.zarr')
    return { report: report({ status: 'not-read', format: 'zarr', message: 'Zarr metric stores are not read' }), points: [] };
  try {
    if (ext === '.csv' || ext === '.txt') {
      const points = parseMetricCsv(fs.readFileSync(foundAt, 'utf8'), written);
      return { report: report({ format: 'csv', points: points.length }), points };
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
