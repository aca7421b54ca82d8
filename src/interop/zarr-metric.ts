import fs from 'node:fs';
import path from 'node:path';
import type { MetricPoint } from './metric-csv';
import { shortestFloat32 } from './netcdf-metric';
import { ZarrError } from './zarr/errors';
import { arrayMetaV2, arrayMetaV3, MAX_CHUNK_BYTES, type ArrayMeta } from './zarr/metadata';

/**
 * A yProv4ML metric store in Zarr (`MetricInfo.save_to_zarr`): a group `<name>_<context>_<source>_GR<rank>.zarr`
 * with attributes `name`, `context`, `source` and three 1-D arrays `epochs` (i4), `values` (f4)
 * and `timestamps` (i8, epoch milliseconds), chunks of 1000 appended batch by batch. Current
 * yProv4ML writes Zarr format 3 (zarr-python 3), the older prov4ml format 2. Directory stores only.
 */
export interface ZarrMetric {
  format: 'zarr-v2' | 'zarr-v3';
  points: MetricPoint[];
  /** The group's attributes (`name`, `context`, `source`). */
  attributes: Record<string, unknown>;
}

export { ZarrError };

/**
 * The files of one directory store, and none outside it: each key is read only if its real path
 * (symlinks followed) stays below the store's own real path, and only if it is a plain file of
 * a size a chunk can have. A missing key is null (a chunk never written reads as its fill value).
 */
class DirectoryStore {
  private readonly root: string;
  constructor(dir: string) {
    this.root = fs.realpathSync(dir);
  }

  read(key: string, maxBytes: number): Uint8Array | null {
    const file = path.join(this.root, ...key.split('/'));
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch {
      return null;
    }
    const rel = path.relative(this.root, real);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
      throw new ZarrError(`${key} leads outside the store (a link out of its folder is never read)`);
    const stat = fs.statSync(real);
    if (!stat.isFile()) throw new ZarrError(`${key} is not a file`);
    if (stat.size > maxBytes) throw new ZarrError(`${key} is ${stat.size} bytes, more than the ${maxBytes} provml reads`);
    return new Uint8Array(fs.readFileSync(real));
  }

  json(key: string): unknown {
    const bytes = this.read(key, 1024 * 1024);
    if (!bytes) return undefined;
    try {
      return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    } catch (err) {
      throw new ZarrError(`${key} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function element(view: DataView, at: number, meta: ArrayMeta): number {
  const { kind, size, littleEndian: le } = meta.dtype;
  if (kind === 'f') return size === 4 ? view.getFloat32(at, le) : view.getFloat64(at, le);
  if (size === 1) return kind === 'i' ? view.getInt8(at) : view.getUint8(at);
  if (size === 2) return kind === 'i' ? view.getInt16(at, le) : view.getUint16(at, le);
  if (size === 4) return kind === 'i' ? view.getInt32(at, le) : view.getUint32(at, le);
  // 64-bit integers as numbers: exact up to 2^53 (epoch milliseconds are far below).
  return Number(kind === 'i' ? view.getBigInt64(at, le) : view.getBigUint64(at, le));
}

function readArray(store: DirectoryStore, name: string, version: 2 | 3): { values: number[]; meta: ArrayMeta } {
  const metaKey = version === 2 ? `${name}/.zarray` : `${name}/zarr.json`;
  const raw = store.json(metaKey);
  if (raw === undefined) throw new ZarrError(`no array "${name}" (yProv4ML writes epochs, values, timestamps)`);
  const meta = version === 2 ? arrayMetaV2(`array ${name}`, raw) : arrayMetaV3(`array ${name}`, raw);
  const { length, chunkLength, dtype } = meta;
  const chunkBytes = chunkLength * dtype.size;
  const values = new Array<number>(length);
  for (let c = 0; c * chunkLength < length; c++) {
    const key = `${name}/${meta.key(c)}`;
    // A stored chunk is at most a little larger than its raw bytes (a codec's header, an incompressible block).
    const stored = store.read(key, Math.min(2 * chunkBytes + 1024, MAX_CHUNK_BYTES * 2));
    const from = c * chunkLength;
    const n = Math.min(chunkLength, length - from);
    if (!stored) {
      if (meta.fill === null)
        throw new ZarrError(`array ${name}: chunk ${meta.key(c)} is missing and the array has no fill_value`);
      values.fill(meta.fill, from, from + n);
      continue;
    }
    const bytes = meta.decode(stored, chunkBytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) values[from + i] = element(view, i * dtype.size, meta);
  }
  return { values, meta };
}

/** The store's format and group attributes: `zarr.json` (v3) or `.zgroup` / `.zattrs` (v2). */
function groupOf(store: DirectoryStore): { version: 2 | 3; attributes: Record<string, unknown> } {
  const v3 = store.json('zarr.json');
  if (v3 !== undefined) {
    const g = v3 as Record<string, unknown> | null;
    if (!g || g.zarr_format !== 3 || g.node_type !== 'group')
      throw new ZarrError('zarr.json is not a Zarr format 3 group (yProv4ML writes a group of three arrays)');
    const attrs = g.attributes;
    return { version: 3, attributes: typeof attrs === 'object' && attrs !== null ? (attrs as Record<string, unknown>) : {} };
  }
  const zgroup = store.json('.zgroup') as Record<string, unknown> | null | undefined;
  if (zgroup === undefined) {
    if (store.json('.zarray') !== undefined)
      throw new ZarrError('a single Zarr array, not a group (yProv4ML writes a group of three arrays)');
    throw new ZarrError('not a Zarr store: neither zarr.json (format 3) nor .zgroup (format 2)');
  }
  if (!zgroup || zgroup.zarr_format !== 2) throw new ZarrError('.zgroup is not Zarr format 2 metadata');
  const attrs = store.json('.zattrs');
  return { version: 2, attributes: typeof attrs === 'object' && attrs !== null ? (attrs as Record<string, unknown>) : {} };
}

/** Reads a yProv4ML Zarr metric store (a directory); throws ZarrError saying what it cannot read. */
export function readZarrMetric(dir: string): ZarrMetric {
  if (!fs.statSync(dir).isDirectory()) throw new ZarrError('a Zarr store is a folder; this is a file (zip stores are not read)');
  const store = new DirectoryStore(dir);
  const { version, attributes } = groupOf(store);
  const epochs = readArray(store, 'epochs', version);
  const values = readArray(store, 'values', version);
  const timestamps = readArray(store, 'timestamps', version);
  const n = values.values.length;
  if (epochs.values.length !== n || timestamps.values.length !== n)
    throw new ZarrError(
      `epochs, values and timestamps differ in length (${epochs.values.length}, ${n}, ${timestamps.values.length})`,
    );
  const f32 = values.meta.dtype.kind === 'f' && values.meta.dtype.size === 4;
  const points: MetricPoint[] = new Array<MetricPoint>(n);
  for (let i = 0; i < n; i++) {
    const e = epochs.values[i];
    const v = values.values[i];
    const t = timestamps.values[i];
    points[i] = {
      step: Number.isInteger(e) ? e : null,
      // NaN or an infinity is a value the run logged (a diverged loss), kept for the importer to set apart.
      value: f32 ? shortestFloat32(v) : v,
      // As the CSV and NetCDF readers: seconds or milliseconds since the epoch, to milliseconds.
      time: Number.isFinite(t) && t >= 0 ? (t < 1e11 ? Math.round(t * 1000) : Math.round(t)) : null,
    };
  }
  return { format: version === 2 ? 'zarr-v2' : 'zarr-v3', points, attributes };
}
