import { gunzipSync, inflateSync } from 'node:zlib';
import { decodeBlosc } from './blosc';
import { ZarrError } from './errors';
import { decodeLz4Block } from './lz4';
import { decodeZstd } from './zstd';

/**
 * One bytes-to-bytes codec of a chunk's pipeline: Zarr v2's `compressor`, or a Zarr v3
 * bytes-to-bytes codec. `decode` gets the stored bytes and the size they must decode to.
 */
export interface BytesCodec {
  name: string;
  /** How many bytes encoding adds to a known size (crc32c: 4), or null when it compresses. */
  adds: number | null;
  decode(src: Uint8Array, expected: number): Uint8Array;
}

const failed = (what: string, err: unknown): ZarrError =>
  new ZarrError(`${what} data is corrupt: ${err instanceof Error ? err.message : String(err)}`);

function exact(what: string, out: Uint8Array, expected: number): Uint8Array {
  if (out.length !== expected) throw new ZarrError(`${what} data holds ${out.length} bytes, ${expected} expected`);
  return out;
}

const zlibCodec = (name: string, gzip: boolean): BytesCodec => ({
  name,
  adds: null,
  decode(src, expected) {
    let out: Buffer;
    try {
      // The bound: a stream that would inflate past the chunk is refused, not held in memory.
      out = (gzip ? gunzipSync : inflateSync)(src, { maxOutputLength: Math.max(expected, 1) });
    } catch (err) {
      throw failed(name, err);
    }
    return exact(name, new Uint8Array(out.buffer, out.byteOffset, out.length), expected);
  },
});

/** numcodecs' LZ4: the decoded size as a u32 little-endian, then one LZ4 block (numcodecs/lz4.pyx). */
const lz4Codec: BytesCodec = {
  name: 'lz4',
  adds: null,
  decode(src, expected) {
    if (src.length < 4) throw new ZarrError('lz4 data is shorter than its 4-byte size header');
    const size = (src[0] | (src[1] << 8) | (src[2] << 16)) + src[3] * 0x1000000;
    if (size !== expected) throw new ZarrError(`lz4 data holds ${size} bytes, ${expected} expected`);
    const out = new Uint8Array(size);
    decodeLz4Block(src.subarray(4), out);
    return out;
  },
};

let crcTable: Uint32Array | null = null;
/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Zarr v3's `crc32c` codec appends it. */
function crc32c(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of data) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const crc32cCodec: BytesCodec = {
  name: 'crc32c',
  adds: 4,
  // `expected` is -1 after a compressor, whose output size the metadata does not give.
  decode(src, expected) {
    const n = expected >= 0 ? expected : src.length - 4;
    if (n < 0 || src.length !== n + 4) throw new ZarrError(`crc32c data holds ${src.length} bytes, ${n + 4} expected`);
    const body = src.subarray(0, n);
    const stored = (src[n] | (src[n + 1] << 8) | (src[n + 2] << 16)) + src[n + 3] * 0x1000000;
    if (crc32c(body) !== stored) throw new ZarrError('crc32c checksum does not match: the chunk is corrupt');
    return body;
  },
};

const BY_NAME: Record<string, BytesCodec> = {
  blosc: { name: 'blosc', adds: null, decode: decodeBlosc },
  zlib: zlibCodec('zlib', false),
  gzip: zlibCodec('gzip', true),
  zstd: { name: 'zstd', adds: null, decode: decodeZstd },
  lz4: lz4Codec,
  crc32c: crc32cCodec,
};

/**
 * The codec of a name: a numcodecs id (Zarr v2 `compressor.id`), a Zarr v3 codec name, or
 * zarr-python 3's `numcodecs.<id>` wrapper of a numcodecs codec (same bytes). null if provml does
 * not decode it.
 */
export function bytesCodec(name: string): BytesCodec | null {
  const wrapped = /^numcodecs\.(.*)$/.exec(name);
  // numcodecs' own CRC32C codecs place their checksum differently from Zarr v3's crc32c: not read.
  if (wrapped) return wrapped[1] === 'crc32c' ? null : (BY_NAME[wrapped[1]] ?? null);
  return BY_NAME[name] ?? null;
}

/**
 * The decode of a chain of bytes-to-bytes codecs, listed in encoding order. Each stage must know
 * the size it decodes to (the bound on memory, and the check that the chunk is whole), so a
 * compressor may only be followed by codecs that do not compress.
 */
export function pipeline(codecs: BytesCodec[], where: string): (src: Uint8Array, chunkBytes: number) => Uint8Array {
  for (let i = 0, compressed = false; i < codecs.length; i++) {
    if (compressed && codecs[i].adds === null)
      throw new ZarrError(`${where}: two compressors in a row (${codecs.map((c) => c.name).join(', ')}) are not read`);
    if (codecs[i].adds === null) compressed = true;
  }
  return (src, chunkBytes) => {
    // Sizes in encoding order: what each codec was given.
    const sizes: number[] = [];
    let s: number | null = chunkBytes;
    for (const c of codecs) {
      sizes.push(s ?? -1);
      s = s === null || c.adds === null ? null : s + c.adds;
    }
    let data = src;
    for (let i = codecs.length - 1; i >= 0; i--) {
      try {
        data = codecs[i].decode(data, sizes[i]);
      } catch (err) {
        if (err instanceof ZarrError) throw new ZarrError(`${where}: ${err.message}`);
        throw err;
      }
    }
    return exact(where, data, chunkBytes);
  };
}
