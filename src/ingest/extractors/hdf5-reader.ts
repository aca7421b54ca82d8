import type { Dataset, Group, Metadata } from 'h5wasm';
import type { RangeReader } from './range-reader';
import { isSyncRangeReader } from './range-reader';
import { ExtractError } from './extract-error';
import type { Hdf5Dataset, Hdf5Extract, JsonValue } from './extract-result';
import { loadH5wasm, type EmscriptenFs } from './h5wasm-loader';

export interface Hdf5Options {
  /**
   * Stores without synchronous reads (S3) are copied whole into memory, because the HDF5
   * library reads synchronously inside WebAssembly; larger objects are refused.
   */
  maxCopyBytes?: number;
  /** Bound on datasets listed (a file may hold millions). */
  maxDatasets?: number;
  /** Bound on the elements of one attribute value kept in the result. */
  maxAttributeElements?: number;
}

/** The 8-byte signature that starts an HDF5 superblock (at 0, 512, 1024, 2048, ...). */
export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

let mounted = 0;

/** Lists every dataset of an HDF5 file: path, shape, dtype, attributes, instances. */
export async function readHdf5(reader: RangeReader, opts: Hdf5Options = {}): Promise<Hdf5Extract> {
  const { h5, fs, diagnostics } = await loadH5wasm();
  const fileSize = await reader.size();
  const path = `/provml-extract-${process.pid}-${++mounted}.h5`;
  await mount(fs, path, reader, fileSize, opts.maxCopyBytes ?? 1024 ** 3);
  let file: InstanceType<typeof h5.File> | null = null;
  try {
    diagnostics.length = 0;
    let opened: InstanceType<typeof h5.File>;
    try {
      opened = new h5.File(path, 'r');
    } catch (e) {
      throw new ExtractError('BAD_HDF5', `the HDF5 library cannot open the file: ${innermost(diagnostics) ?? oneLine(e)}`, {
        offset: 0,
      });
    }
    if (opened.file_id < 0n)
      throw new ExtractError('BAD_HDF5', `the HDF5 library cannot open the file: ${innermost(diagnostics) ?? 'unknown reason'}`, {
        offset: 0,
      });
    file = opened;
    const datasets: Hdf5Dataset[] = [];
    walk(file, '/', datasets, opts, 0);
    return {
      kind: 'hdf5',
      source: reader.source,
      fileSize,
      bytesRead: reader.bytesRead,
      attributes: attributesOf(file, opts),
      datasets,
    };
  } finally {
    file?.close();
    fs.unlink(path);
  }
}

async function mount(fs: EmscriptenFs, path: string, reader: RangeReader, size: number, maxCopy: number): Promise<void> {
  if (isSyncRangeReader(reader)) {
    // A file node whose reads go straight to the reader: HDF5 touches only what it needs.
    const node = fs.createFile('/', path.slice(1), {}, true, false);
    node.usedBytes = size;
    node.stream_ops = {
      ...node.stream_ops,
      read: (_s: unknown, buf: Int8Array, off: number, len: number, pos: number): number => {
        const n = Math.max(0, Math.min(len, size - pos));
        return n === 0 ? 0 : reader.readSync(pos, n, new Uint8Array(buf.buffer, buf.byteOffset + off, n), 0);
      },
    };
    return;
  }
  if (size > maxCopy)
    throw new ExtractError(
      'UNREADABLE',
      `HDF5 from ${reader.source} is read whole and ${size} bytes exceeds the ${maxCopy}-byte limit`,
    );
  fs.writeFile(path, await reader.read(0, size));
}

function walk(group: Group, prefix: string, out: Hdf5Dataset[], opts: Hdf5Options, depth: number): void {
  if (depth > 64) return; // hard links can make cycles
  for (const name of group.keys()) {
    if (out.length >= (opts.maxDatasets ?? 10000)) return;
    const child = group.get(name);
    const path = `${prefix}${name}`;
    const kind = child && 'type' in child ? child.type : null;
    if (kind === 'Group') walk(child as Group, `${path}/`, out, opts, depth + 1);
    else if (kind === 'Dataset') {
      const d = child as Dataset;
      const shape = d.shape ?? [];
      out.push({
        path,
        shape,
        dtype: dtypeName(d.metadata),
        attributes: attributesOf(d, opts),
        instances: shape.length ? shape[0] : null,
      });
    }
  }
}

/** numpy-style dtype names, so they read like h5py's. */
export function dtypeName(m: Metadata): string {
  switch (m.type) {
    case 0: // H5T_INTEGER
      return `${m.signed ? 'int' : 'uint'}${m.size * 8}`;
    case 1: // H5T_FLOAT
      return `float${m.size * 8}`;
    case 3: // H5T_STRING
      return m.vlen ? 'string' : `string${m.size}`;
    case 6:
      return 'compound';
    case 8:
      return 'enum';
    case 10:
      return m.array_type ? `array<${dtypeName(m.array_type)}>` : 'array';
    default:
      return (
        ['integer', 'float', 'time', 'string', 'bitfield', 'opaque', 'compound', 'reference', 'enum', 'vlen', 'array'][m.type] ??
        `h5t${m.type}`
      );
  }
}

function attributesOf(obj: Group | Dataset, opts: Hdf5Options): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  const attrs = obj.attrs;
  for (const name of Object.keys(attrs)) {
    try {
      out[name] = toJson(attrs[name].json_value, opts.maxAttributeElements ?? 1000);
    } catch (e) {
      out[name] = `<unreadable: ${oneLine(e)}>`;
    }
  }
  return out;
}

function toJson(v: unknown, max: number): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const arr = Array.from(v as ArrayLike<unknown>);
    return arr.slice(0, max).map((x) => toJson(x, max));
  }
  if (typeof v === 'object') {
    const o: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = toJson(x, max);
    return o;
  }
  return String(v);
}

/** The deepest frame of an HDF5-DIAG stack says what is actually wrong. */
function innermost(diag: string[]): string | undefined {
  const frames = diag.join('\n').match(/#\d+: .* in [\w]+\(\): .*/g);
  return frames?.[frames.length - 1].replace(/^#\d+: .* in [\w]+\(\): /, '');
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
