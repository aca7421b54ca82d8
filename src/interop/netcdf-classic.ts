/**
 * A reader of NetCDF classic files (CDF-1, CDF-2 "64-bit offset", CDF-5 "64-bit data"), after
 * Unidata's format specification: a header (dimensions, global attributes, variables with
 * their types, shapes and file offsets) followed by big-endian data, record variables
 * interleaved record by record. Only what a metric file needs: attributes and whole variables.
 */
export interface NcVariable {
  name: string;
  dims: string[];
  shape: number[];
  type: NcType;
  attributes: Record<string, string | number[]>;
  /** Values in row-major order; NaN for a missing float. */
  values: number[] | string;
}
export interface NcClassicFile {
  format: 'CDF-1' | 'CDF-2' | 'CDF-5';
  attributes: Record<string, string | number[]>;
  variables: Map<string, NcVariable>;
}
type NcType = 'byte' | 'char' | 'short' | 'int' | 'float' | 'double' | 'ubyte' | 'ushort' | 'uint' | 'int64' | 'uint64';

const TYPES: Record<number, { name: NcType; size: number }> = {
  1: { name: 'byte', size: 1 },
  2: { name: 'char', size: 1 },
  3: { name: 'short', size: 2 },
  4: { name: 'int', size: 4 },
  5: { name: 'float', size: 4 },
  6: { name: 'double', size: 8 },
  7: { name: 'ubyte', size: 1 },
  8: { name: 'ushort', size: 2 },
  9: { name: 'uint', size: 4 },
  10: { name: 'int64', size: 8 },
  11: { name: 'uint64', size: 8 },
};
const NC_DIMENSION = 0x0a;
const NC_VARIABLE = 0x0b;
const NC_ATTRIBUTE = 0x0c;

export class NetcdfFormatError extends Error {}

/** True when the bytes start like a classic NetCDF file. */
export const isNetcdfClassic = (b: Uint8Array): boolean =>
  b.length >= 4 && b[0] === 0x43 && b[1] === 0x44 && b[2] === 0x46 && [1, 2, 5].includes(b[3]);

class Cursor {
  private readonly view: DataView;
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly wide: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number) {
    if (this.pos + n > this.bytes.length) throw new NetcdfFormatError(`header ends early at byte ${this.pos}`);
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NetcdfFormatError(`a count of ${v} is too large`);
    return Number(v);
  }
  /** NON_NEG: 32 bits in CDF-1/2, 64 in CDF-5. */
  count(): number {
    return this.wide ? this.u64() : this.u32();
  }
  name(): string {
    const n = this.count();
    this.need(n);
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += pad4(n);
    return s;
  }
}

const pad4 = (n: number) => (n + 3) & ~3;

function readValues(view: DataView, offset: number, type: number, n: number): number[] {
  const out = new Array<number>(n);
  const size = TYPES[type].size;
  for (let i = 0; i < n; i++) {
    const p = offset + i * size;
    switch (type) {
      case 1:
        out[i] = view.getInt8(p);
        break;
      case 3:
        out[i] = view.getInt16(p);
        break;
      case 4:
        out[i] = view.getInt32(p);
        break;
      case 5:
        out[i] = view.getFloat32(p);
        break;
      case 6:
        out[i] = view.getFloat64(p);
        break;
      case 7:
      case 2:
        out[i] = view.getUint8(p);
        break;
      case 8:
        out[i] = view.getUint16(p);
        break;
      case 9:
        out[i] = view.getUint32(p);
        break;
      case 10:
        out[i] = Number(view.getBigInt64(p));
        break;
      case 11:
        out[i] = Number(view.getBigUint64(p));
        break;
    }
  }
  return out;
}

function attributes(c: Cursor, view: DataView): Record<string, string | number[]> {
  const out: Record<string, string | number[]> = {};
  const tag = c.u32();
  const n = c.count();
  if (tag === 0 && n === 0) return out;
  if (tag !== NC_ATTRIBUTE) throw new NetcdfFormatError(`expected an attribute list at byte ${c.pos - 8}`);
  for (let i = 0; i < n; i++) {
    const name = c.name();
    const type = c.u32();
    const t = TYPES[type];
    if (!t) throw new NetcdfFormatError(`attribute ${name}: unknown type ${type}`);
    const len = c.count();
    c.need(len * t.size);
    out[name] =
      type === 2
        ? new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + c.pos, len)).replace(/\0+$/, '')
        : readValues(view, c.pos, type, len);
    c.pos += pad4(len * t.size);
  }
  return out;
}

export function readNetcdfClassic(bytes: Uint8Array): NcClassicFile {
  if (!isNetcdfClassic(bytes)) throw new NetcdfFormatError('not a classic NetCDF file (no CDF\\x01, \\x02 or \\x05 signature)');
  const version = bytes[3];
  const wide = version === 5;
  const c = new Cursor(bytes, wide);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  c.pos = 4;
  let numrecs = wide ? c.u64() : c.u32();
  const streaming = !wide && numrecs === 0xffffffff;

  const dims: Array<{ name: string; length: number }> = [];
  const dimTag = c.u32();
  const nDims = c.count();
  if (!(dimTag === 0 && nDims === 0)) {
    if (dimTag !== NC_DIMENSION) throw new NetcdfFormatError('expected the dimension list after the record count');
    for (let i = 0; i < nDims; i++) dims.push({ name: c.name(), length: c.count() });
  }
  const globals = attributes(c, view);

  const raw: Array<{ v: Omit<NcVariable, 'values'>; typeCode: number; vsize: number; begin: number; record: boolean }> = [];
  const varTag = c.u32();
  const nVars = c.count();
  if (!(varTag === 0 && nVars === 0)) {
    if (varTag !== NC_VARIABLE) throw new NetcdfFormatError('expected the variable list after the global attributes');
    for (let i = 0; i < nVars; i++) {
      const name = c.name();
      const rank = c.count();
      const dimIds = Array.from({ length: rank }, () => c.count());
      const attrs = attributes(c, view);
      const typeCode = c.u32();
      if (!TYPES[typeCode]) throw new NetcdfFormatError(`variable ${name}: unknown type ${typeCode}`);
      const vsize = c.count();
      const begin = version === 1 ? c.u32() : c.u64();
      const vdims = dimIds.map((d) => {
        if (!dims[d]) throw new NetcdfFormatError(`variable ${name}: no dimension ${d}`);
        return dims[d];
      });
      const record = vdims.length > 0 && vdims[0].length === 0;
      raw.push({
        v: {
          name,
          dims: vdims.map((d) => d.name),
          shape: vdims.map((d) => d.length),
          type: TYPES[typeCode].name,
          attributes: attrs,
        },
        typeCode,
        vsize,
        begin,
        record,
      });
    }
  }

  const recordVars = raw.filter((r) => r.record);
  // One record variable alone is not padded to 4 bytes per record (the specification's exception).
  const recSize =
    recordVars.length === 1
      ? TYPES[recordVars[0].typeCode].size * recordVars[0].v.shape.slice(1).reduce((a, b) => a * b, 1)
      : recordVars.reduce((s, r) => s + r.vsize, 0);
  if (streaming && recordVars.length) {
    const first = Math.min(...recordVars.map((r) => r.begin));
    numrecs = recSize ? Math.floor((bytes.length - first) / recSize) : 0;
  }

  const variables = new Map<string, NcVariable>();
  for (const r of raw) {
    const t = TYPES[r.typeCode];
    const shape = r.record ? [numrecs, ...r.v.shape.slice(1)] : r.v.shape;
    const perRecord = r.v.shape.slice(r.record ? 1 : 0).reduce((a, b) => a * b, 1);
    let values: number[] = [];
    if (r.record) {
      for (let rec = 0; rec < numrecs; rec++) {
        const at = r.begin + rec * recSize;
        if (at + perRecord * t.size > bytes.length)
          throw new NetcdfFormatError(`variable ${r.v.name}: record ${rec} lies past the end of the file`);
        values = values.concat(readValues(view, at, r.typeCode, perRecord));
      }
    } else {
      if (r.begin + perRecord * t.size > bytes.length)
        throw new NetcdfFormatError(`variable ${r.v.name} lies past the end of the file`);
      values = readValues(view, r.begin, r.typeCode, perRecord);
    }
    variables.set(r.v.name, {
      ...r.v,
      shape,
      values: r.typeCode === 2 ? String.fromCharCode(...values).replace(/\0+$/, '') : values,
    });
  }
  return { format: version === 1 ? 'CDF-1' : version === 2 ? 'CDF-2' : 'CDF-5', attributes: globals, variables };
}
