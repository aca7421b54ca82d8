import { bytesCodec, pipeline, type BytesCodec } from './codecs';
import { ZarrError } from './errors';

/** A numeric element type: numpy's `<i4`, `>f8`, `|u1`; Zarr v3's `int32`, `float64`, `uint8`. */
export interface DType {
  kind: 'i' | 'u' | 'f';
  size: 1 | 2 | 4 | 8;
  littleEndian: boolean;
}

/** What reading one 1-D array of a store needs, from `.zarray` (v2) or its `zarr.json` (v3). */
export interface ArrayMeta {
  /** How many elements are real (appends grow it; the last chunk may be partly filled). */
  length: number;
  chunkLength: number;
  dtype: DType;
  /** What a chunk that was never written holds; null when the metadata gives none. */
  fill: number | null;
  /** Stored chunk bytes to the chunk's raw bytes. */
  decode: (src: Uint8Array, chunkBytes: number) => Uint8Array;
  /** The key of chunk i below the array's folder (`0` in v2; `c/0` by default in v3). */
  key: (i: number) => string;
}

/** Bounds on what one array may make this process hold: refused with a message, not attempted. */
export const MAX_ELEMENTS = 10_000_000;
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function oneDimension(where: string, shape: unknown, chunks: unknown): { length: number; chunkLength: number } {
  const ints = (v: unknown) => Array.isArray(v) && v.every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
  if (!ints(shape) || !ints(chunks)) throw new ZarrError(`${where}: shape or chunk shape is not a list of whole numbers`);
  const s = shape as number[];
  const c = chunks as number[];
  if (s.length !== 1 || c.length !== 1)
    throw new ZarrError(`${where}: ${s.length} dimensions (yProv4ML writes 1-D epochs, values and timestamps)`);
  if (c[0] < 1) throw new ZarrError(`${where}: chunk length ${c[0]}`);
  if (s[0] > MAX_ELEMENTS) throw new ZarrError(`${where}: ${s[0]} elements, more than the ${MAX_ELEMENTS} provml reads`);
  return { length: s[0], chunkLength: c[0] };
}

function checkChunkBytes(where: string, chunkLength: number, dtype: DType): void {
  if (chunkLength * dtype.size > MAX_CHUNK_BYTES)
    throw new ZarrError(`${where}: chunks of ${chunkLength * dtype.size} bytes, more than the ${MAX_CHUNK_BYTES} provml decodes`);
}

/** A fill value as JSON writes it: a number, or "NaN" / "Infinity" / "-Infinity" (both formats). */
function fillOf(where: string, v: unknown, dtype: DType): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  // v3: a float's bit pattern as hex ("0x7fc00000").
  if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) && dtype.kind === 'f' && (dtype.size === 4 || dtype.size === 8)) {
    const view = new DataView(new ArrayBuffer(8));
    if (dtype.size === 4) {
      view.setUint32(0, Number.parseInt(v.slice(2), 16));
      return view.getFloat32(0);
    }
    view.setBigUint64(0, BigInt(v));
    return view.getFloat64(0);
  }
  throw new ZarrError(`${where}: fill_value ${JSON.stringify(v)} is not read`);
}

const SIZES = new Set([1, 2, 4, 8]);

/** numpy's type string (`<f4`): byte order, kind, size. Only plain numbers are metric values. */
function dtypeV2(where: string, v: unknown): DType {
  const m = typeof v === 'string' ? /^([<>|=])([iuf])([1248])$/.exec(v) : null;
  const size = m ? Number(m[3]) : 0;
  if (!m || !SIZES.has(size) || (m[2] === 'f' && size === 1))
    throw new ZarrError(`${where}: dtype ${JSON.stringify(v)} is not read (numbers: <i4, <f4, <i8, ...)`);
  return { kind: m[2] as DType['kind'], size: size as DType['size'], littleEndian: m[1] !== '>' };
}

/** Zarr format 2 `.zarray` (https://zarr-specs.readthedocs.io/en/latest/v2/v2.0.html). */
export function arrayMetaV2(where: string, meta: unknown): ArrayMeta {
  if (!isObject(meta) || meta.zarr_format !== 2) throw new ZarrError(`${where}: .zarray is not Zarr format 2 metadata`);
  const { length, chunkLength } = oneDimension(where, meta.shape, meta.chunks);
  const dtype = dtypeV2(where, meta.dtype);
  checkChunkBytes(where, chunkLength, dtype);
  if (meta.order !== undefined && meta.order !== 'C' && meta.order !== 'F')
    throw new ZarrError(`${where}: order ${JSON.stringify(meta.order)}`);
  if (Array.isArray(meta.filters) && meta.filters.length > 0) {
    const ids = meta.filters.map((f) => (isObject(f) ? String(f.id) : JSON.stringify(f)));
    throw new ZarrError(`${where}: filter ${ids.join(', ')} is not decoded by provml`);
  }
  const codecs: BytesCodec[] = [];
  if (meta.compressor !== null && meta.compressor !== undefined) {
    const id = isObject(meta.compressor) ? meta.compressor.id : undefined;
    const codec = typeof id === 'string' ? bytesCodec(id) : null;
    if (!codec || id === 'crc32c')
      throw new ZarrError(`${where}: compressor ${JSON.stringify(id ?? meta.compressor)} is not decoded by provml`);
    codecs.push(codec);
  }
  // For one dimension the chunk key is the index alone, whatever dimension_separator says.
  return {
    length,
    chunkLength,
    dtype,
    fill: fillOf(where, meta.fill_value, dtype),
    decode: pipeline(codecs, where),
    key: String,
  };
}

const V3_TYPES: Record<string, DType> = {
  int8: { kind: 'i', size: 1, littleEndian: true },
  int16: { kind: 'i', size: 2, littleEndian: true },
  int32: { kind: 'i', size: 4, littleEndian: true },
  int64: { kind: 'i', size: 8, littleEndian: true },
  uint8: { kind: 'u', size: 1, littleEndian: true },
  uint16: { kind: 'u', size: 2, littleEndian: true },
  uint32: { kind: 'u', size: 4, littleEndian: true },
  uint64: { kind: 'u', size: 8, littleEndian: true },
  float32: { kind: 'f', size: 4, littleEndian: true },
  float64: { kind: 'f', size: 8, littleEndian: true },
};

const codecName = (c: unknown) => (isObject(c) && typeof c.name === 'string' ? c.name : JSON.stringify(c));

/** Zarr format 3 array `zarr.json` (https://zarr-specs.readthedocs.io/en/latest/v3/core/index.html). */
export function arrayMetaV3(where: string, meta: unknown): ArrayMeta {
  if (!isObject(meta) || meta.zarr_format !== 3 || meta.node_type !== 'array')
    throw new ZarrError(`${where}: zarr.json is not a Zarr format 3 array`);
  const grid = meta.chunk_grid;
  if (!isObject(grid) || grid.name !== 'regular' || !isObject(grid.configuration))
    throw new ZarrError(`${where}: chunk grid ${JSON.stringify(isObject(grid) ? grid.name : grid)} is not read (regular only)`);
  const { length, chunkLength } = oneDimension(where, meta.shape, grid.configuration.chunk_shape);
  const base = typeof meta.data_type === 'string' ? V3_TYPES[meta.data_type] : undefined;
  if (!base) throw new ZarrError(`${where}: data_type ${JSON.stringify(meta.data_type)} is not read`);
  if (Array.isArray(meta.storage_transformers) && meta.storage_transformers.length > 0)
    throw new ZarrError(`${where}: storage transformer ${meta.storage_transformers.map(codecName).join(', ')} is not read`);
  const codecs = Array.isArray(meta.codecs) ? meta.codecs : [];
  let littleEndian: boolean | null = null;
  const bytes: BytesCodec[] = [];
  for (const c of codecs) {
    const name = codecName(c);
    const config = isObject(c) && isObject(c.configuration) ? c.configuration : {};
    if (name === 'transpose') {
      // One dimension: the only order is [0], the identity.
      if (littleEndian !== null) throw new ZarrError(`${where}: transpose after the bytes codec`);
      continue;
    }
    if (name === 'bytes') {
      if (littleEndian !== null) throw new ZarrError(`${where}: two array-to-bytes codecs`);
      if (config.endian !== undefined && config.endian !== 'little' && config.endian !== 'big')
        throw new ZarrError(`${where}: bytes codec endian ${JSON.stringify(config.endian)}`);
      if (config.endian === undefined && base.size > 1) throw new ZarrError(`${where}: bytes codec without endian`);
      littleEndian = config.endian !== 'big';
      continue;
    }
    const codec = bytesCodec(name);
    if (!codec) throw new ZarrError(`${where}: codec ${name} is not decoded by provml`);
    if (littleEndian === null) throw new ZarrError(`${where}: codec ${name} comes before the bytes codec`);
    bytes.push(codec);
  }
  if (littleEndian === null) throw new ZarrError(`${where}: no array-to-bytes codec (bytes) in its codecs`);
  const dtype = { ...base, littleEndian };
  checkChunkBytes(where, chunkLength, dtype);
  const enc = meta.chunk_key_encoding;
  const encName = isObject(enc) ? enc.name : 'default';
  const sep = isObject(enc) && isObject(enc.configuration) ? enc.configuration.separator : undefined;
  if (encName !== 'default' && encName !== 'v2')
    throw new ZarrError(`${where}: chunk key encoding ${JSON.stringify(encName)} is not read`);
  if (sep !== undefined && sep !== '/' && sep !== '.')
    throw new ZarrError(`${where}: chunk key separator ${JSON.stringify(sep)}`);
  // "default": `c` then the indices, each after the separator (`/` unless said); "v2": the index alone.
  const key = encName === 'v2' ? String : (i: number) => `c${typeof sep === 'string' ? sep : '/'}${i}`;
  return { length, chunkLength, dtype, fill: fillOf(where, meta.fill_value, dtype), decode: pipeline(bytes, where), key };
}
