import { loadH5wasm } from '../ingest/extractors/h5wasm-loader';
import { HDF5_SIGNATURE } from '../ingest/extractors/hdf5-reader';
import type { MetricPoint } from './metric-csv';
import { isNetcdfClassic, readNetcdfClassic } from './netcdf-classic';

/**
 * A yProv4ML metric file in NetCDF (yProvML's `MetricInfo.save_to_netcdf`): variables `epochs`,
 * `values` and `timestamps` along dimension `time`, and global attributes `_name`, `_context`,
 * `_source`. With `unify_experiments` the variables gain a leading `exp` dimension and
 * `lengths` says how many points each experiment row holds. yProvML writes NetCDF-4 (which is
 * HDF5, read here with h5wasm); the classic formats CDF-1/2/5 are read too.
 */
export interface NetcdfMetric {
  format: 'NetCDF-4' | 'CDF-1' | 'CDF-2' | 'CDF-5';
  points: MetricPoint[];
  /** The file's global attributes (`_name`, `_context`, `_source`). */
  attributes: Record<string, unknown>;
  /** The experiment row read, for a unified (exp, time) file. */
  row?: number;
}

export class MetricFileError extends Error {}

interface Arrays {
  epochs: number[];
  values: number[];
  timestamps: number[];
  /** [rows, columns] for a unified file, [n] otherwise. */
  shape: number[];
  lengths: number[] | null;
  valuesAreFloat32: boolean;
}

/** The shortest decimal that reads back as the same float32: 0.001 rather than 0.0010000000474974513. */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.fround(x);
  // Binary search on the number of digits (9 always reads back): if p digits read back, p + 1 do
  // too, since the nearest (p + 1)-digit decimal is no farther from f than the nearest p-digit one.
  // Three or four toPrecision calls rather than up to nine: it is most of a metric file's read time.
  let lo = 1;
  let hi = 9;
  let best = Number(f.toPrecision(9));
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const y = Number(f.toPrecision(mid));
    if (Math.fround(y) === f) {
      best = y;
      hi = mid;
    } else lo = mid + 1;
  }
  if (lo === 9 && Math.fround(best) !== f) return f;
  return best;
}

const flat = (v: unknown): number[] => {
  if (Array.isArray(v)) return v.flatMap(flat);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, Number);
  if (typeof v === 'number' || typeof v === 'bigint') return [Number(v)];
  return [];
};

let mounted = 0;

async function netcdf4Arrays(bytes: Uint8Array): Promise<{ arrays: Arrays; attributes: Record<string, unknown> }> {
  const { h5, fs, diagnostics } = await loadH5wasm();
  const path = `/provml-metric-${process.pid}-${++mounted}.nc`;
  fs.writeFile(path, bytes);
  let file: InstanceType<typeof h5.File> | null = null;
  try {
    diagnostics.length = 0;
    file = new h5.File(path, 'r');
    if (file.file_id < 0n)
      throw new MetricFileError(`the HDF5 library cannot open it${diagnostics.length ? `: ${diagnostics.at(-1)}` : ''}`);
    const f = file;
    const dataset = (name: string) => {
      const d = f.get(name);
      if (!d || !(d instanceof h5.Dataset)) return null;
      return d;
    };
    const need = (name: string) => {
      const d = dataset(name);
      if (!d) throw new MetricFileError(`no variable "${name}" (yProvML writes epochs, values, timestamps)`);
      return d;
    };
    const values = need('values');
    const attributes: Record<string, unknown> = {};
    for (const [k, a] of Object.entries(f.attrs)) {
      const v = a.json_value;
      attributes[k] = Array.isArray(v) && v.length === 1 ? v[0] : v;
    }
    const lengths = dataset('lengths');
    return {
      attributes,
      arrays: {
        epochs: flat(need('epochs').value),
        values: flat(values.value),
        timestamps: flat(need('timestamps').value),
        shape: values.shape ?? [],
        lengths: lengths ? flat(lengths.value) : null,
        valuesAreFloat32: values.metadata.type === 1 && values.metadata.size === 4,
      },
    };
  } finally {
    file?.close();
    fs.unlink(path);
  }
}

function classicArrays(bytes: Uint8Array): {
  arrays: Arrays;
  attributes: Record<string, unknown>;
  format: NetcdfMetric['format'];
} {
  const nc = readNetcdfClassic(bytes);
  const need = (name: string) => {
    const v = nc.variables.get(name);
    if (!v || typeof v.values === 'string')
      throw new MetricFileError(`no numeric variable "${name}" (yProvML writes epochs, values, timestamps)`);
    return v;
  };
  const values = need('values');
  const lengths = nc.variables.get('lengths');
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(nc.attributes)) attributes[k] = Array.isArray(v) && v.length === 1 ? v[0] : v;
  return {
    format: nc.format,
    attributes,
    arrays: {
      epochs: need('epochs').values as number[],
      values: values.values as number[],
      timestamps: need('timestamps').values as number[],
      shape: values.shape,
      lengths: lengths && typeof lengths.values !== 'string' ? lengths.values : null,
      valuesAreFloat32: values.type === 'float',
    },
  };
}

/**
 * The points of one metric file. `row` picks the experiment row of a unified file (yProvML's
 * `experiment_index`); a unified file with one row needs none.
 */
export async function readNetcdfMetric(bytes: Uint8Array, row?: number): Promise<NetcdfMetric> {
  let read: { arrays: Arrays; attributes: Record<string, unknown>; format: NetcdfMetric['format'] };
  if (isNetcdfClassic(bytes)) read = classicArrays(bytes);
  else if (bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(HDF5_SIGNATURE))
    read = { ...(await netcdf4Arrays(bytes)), format: 'NetCDF-4' };
  else throw new MetricFileError('not NetCDF: neither the classic CDF signature nor HDF5 (NetCDF-4) at byte 0');
  const { arrays: a, attributes, format } = read;
  let from = 0;
  let n = a.values.length;
  let picked: number | undefined;
  if (a.shape.length === 2) {
    const [rows, cols] = a.shape;
    if (rows === 1) picked = 0;
    else if (row !== undefined && row >= 0 && row < rows) picked = row;
    else throw new MetricFileError(`a unified file of ${rows} experiment rows, and no row of this run is known`);
    from = picked * cols;
    n = a.lengths?.[picked] ?? cols;
  } else if (a.shape.length > 2) throw new MetricFileError(`values has ${a.shape.length} dimensions; 1 or 2 expected`);
  if (a.epochs.length < from + n || a.timestamps.length < from + n)
    throw new MetricFileError('epochs, values and timestamps differ in length');
  const points: MetricPoint[] = [];
  for (let i = from; i < from + n; i++) {
    const v = a.values[i];
    // A unified file without `lengths` pads its rows with NaN; anywhere else NaN or an infinity is
    // a value the run logged (a diverged loss), kept for the importer to set apart.
    if (!Number.isFinite(v) && a.shape.length === 2 && !a.lengths) continue;
    const t = a.timestamps[i];
    points.push({
      step: Number.isInteger(a.epochs[i]) ? a.epochs[i] : null,
      value: a.valuesAreFloat32 ? shortestFloat32(v) : v,
      time: Number.isFinite(t) && t >= 0 ? (t < 1e11 ? Math.round(t * 1000) : Math.round(t)) : null,
    });
  }
  return { format, points, attributes, ...(picked !== undefined ? { row: picked } : {}) };
}
