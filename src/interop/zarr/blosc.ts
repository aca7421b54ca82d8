import { inflateSync } from 'node:zlib';
import { decodeBlosclz } from './blosclz';
import { ZarrError } from './errors';
import { decodeLz4Block } from './lz4';
import { decodeZstd } from './zstd';

/*
 * A Blosc 1.x frame, as numcodecs' `Blosc` (and so Zarr v3's `blosc` codec) writes it with the
 * c-blosc library. Layout (c-blosc's README_HEADER.rst and blosc/blosc.c, `blosc_run_decompression_with_context`
 * and `blosc_d`): a 16-byte header
 *   0 version (2) | 1 codec format version | 2 flags | 3 typesize | 4 nbytes | 8 blocksize | 12 cbytes
 * (u32 little-endian); flags bit 0 byte-shuffle, bit 1 memcpyed (the data follows the header as
 * is), bit 2 bit-shuffle, bit 4 "do not split", bits 5-7 the inner codec (0 blosclz, 1 lz4 and
 * lz4hc, 2 snappy, 3 zlib, 4 zstd). Unless memcpyed, a table of u32 block offsets follows; each
 * block holds one stream, or one per byte of the type ("split") when not flagged otherwise, the
 * type is at most 16 bytes, the block holds at least 128 elements and it is not the short last
 * block. A stream is a u32 length and its bytes, stored as is when the length equals the
 * stream's decoded size. The block is then un-shuffled.
 */

const INNER = ['blosclz', 'lz4', 'snappy', 'zlib', 'zstd'];
const MAX_SPLITS = 16;
const MIN_BUFFERSIZE = 128;

const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;

function decodeStream(codec: number, src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  switch (codec) {
    case 0:
      decodeBlosclz(src, out);
      return out;
    case 1:
      decodeLz4Block(src, out);
      return out;
    case 3: {
      let z: Buffer;
      try {
        z = inflateSync(src, { maxOutputLength: size });
      } catch (err) {
        throw new ZarrError(`zlib stream in a Blosc block is corrupt: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (z.length !== size) throw new ZarrError(`zlib stream in a Blosc block holds ${z.length} bytes, ${size} expected`);
      return new Uint8Array(z.buffer, z.byteOffset, z.length);
    }
    case 4:
      return decodeZstd(src, size);
    default:
      throw new ZarrError(`blosc with inner codec ${INNER[codec] ?? `code ${codec}`} is not decoded by provml`);
  }
}

/** Byte-unshuffle (blosc/shuffle-generic.c `unshuffle_generic`): byte i of each element was gathered into run i. */
function unshuffle(src: Uint8Array, dest: Uint8Array, at: number, typesize: number): void {
  const n = Math.floor(src.length / typesize);
  for (let i = 0; i < typesize; i++) for (let j = 0; j < n; j++) dest[at + j * typesize + i] = src[i * n + j];
  dest.set(src.subarray(n * typesize), at + n * typesize);
}

/**
 * Bit-unshuffle (blosc/shuffle.c `bitunshuffle`, bitshuffle's `bshuf_untrans_bit_elem`): for byte j
 * and bit k of the type, row 8j+k holds that bit of every element, element i's at bit i % 8 of
 * the row's byte i / 8. Only a whole number of 8 elements is shuffled; otherwise the block is
 * stored as is. Bytes past the last whole element are copied.
 */
function bitunshuffle(src: Uint8Array, dest: Uint8Array, at: number, typesize: number): void {
  const n = Math.floor(src.length / typesize);
  if (n % 8 !== 0) {
    dest.set(src, at);
    return;
  }
  const row = n / 8;
  dest.fill(0, at, at + n * typesize);
  for (let j = 0; j < typesize; j++)
    for (let k = 0; k < 8; k++) {
      const start = (j * 8 + k) * row;
      for (let i = 0; i < n; i++) dest[at + i * typesize + j] |= ((src[start + (i >> 3)] >> (i & 7)) & 1) << k;
    }
  dest.set(src.subarray(n * typesize), at + n * typesize);
}

/** Decodes one Blosc frame that must hold `expected` bytes. */
export function decodeBlosc(src: Uint8Array, expected: number): Uint8Array {
  if (src.length < 16) throw new ZarrError(`Blosc frame of ${src.length} bytes is shorter than its 16-byte header`);
  const [version, , flags, typesize] = src;
  const nbytes = u32(src, 4);
  const blocksize = u32(src, 8);
  const cbytes = u32(src, 12);
  if (version < 1 || version > 2)
    throw new ZarrError(`Blosc format version ${version} is not read (provml reads Blosc 1.x frames, version 1 and 2)`);
  if (flags & 0x08) throw new ZarrError('Blosc frame has flags from a newer format (bit 3)');
  if (nbytes !== expected) throw new ZarrError(`Blosc frame holds ${nbytes} bytes, ${expected} expected`);
  if (cbytes > src.length) throw new ZarrError(`Blosc frame says ${cbytes} bytes but the chunk has ${src.length}`);
  const out = new Uint8Array(nbytes);
  if (nbytes === 0) return out;
  if (flags & 0x02) {
    if (cbytes !== nbytes + 16) throw new ZarrError('Blosc memcpyed frame: its size is not the data plus the header');
    out.set(src.subarray(16, 16 + nbytes));
    return out;
  }
  if (blocksize <= 0 || typesize <= 0) throw new ZarrError('Blosc frame header has a zero block or type size');
  const codec = flags >> 5;
  const nblocks = Math.ceil(nbytes / blocksize);
  const leftover = nbytes % blocksize;
  if (16 + 4 * nblocks > cbytes) throw new ZarrError('Blosc frame is cut short (its block table)');
  for (let b = 0; b < nblocks; b++) {
    const last = b === nblocks - 1 && leftover > 0;
    const bsize = last ? leftover : blocksize;
    const split = !(flags & 0x10) && typesize <= MAX_SPLITS && Math.floor(bsize / typesize) >= MIN_BUFFERSIZE && !last;
    const nsplits = split ? typesize : 1;
    const neblock = Math.floor(bsize / nsplits);
    const block = new Uint8Array(bsize);
    let off = u32(src, 16 + 4 * b);
    for (let s = 0; s < nsplits; s++) {
      if (off + 4 > cbytes) throw new ZarrError(`Blosc block ${b} is cut short`);
      const len = u32(src, off);
      off += 4;
      if (len > cbytes - off) throw new ZarrError(`Blosc block ${b}: a stream runs past the end of the frame`);
      const stream = src.subarray(off, off + len);
      block.set(len === neblock ? stream : decodeStream(codec, stream, neblock), s * neblock);
      off += len;
    }
    const at = b * blocksize;
    if (flags & 0x01 && typesize > 1) unshuffle(block, out, at, typesize);
    else if (flags & 0x04 && bsize >= typesize) bitunshuffle(block, out, at, typesize);
    else out.set(block, at);
  }
  return out;
}
