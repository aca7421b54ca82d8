import { decompress } from 'fzstd';
import { ZarrError } from './errors';

/**
 * The content size a Zstandard frame header declares (RFC 8878 §3.1.1.1), or null when the frame
 * does not say. Read before decoding so that a frame claiming more than the chunk can hold is
 * refused without allocating it.
 */
function frameContentSize(src: Uint8Array): number | null {
  if (src.length < 5 || src[0] !== 0x28 || src[1] !== 0xb5 || src[2] !== 0x2f || src[3] !== 0xfd)
    throw new ZarrError('not a Zstandard frame (no magic number 0xFD2FB528)');
  const fhd = src[4];
  const singleSegment = (fhd >> 5) & 1;
  const fcsSize = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6];
  if (fcsSize === 0) return null;
  const at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 3];
  if (src.length < at + fcsSize) throw new ZarrError('Zstandard frame header is cut short');
  let size = 0;
  for (let i = fcsSize - 1; i >= 0; i--) size = size * 256 + src[at + i];
  return fcsSize === 2 ? size + 256 : size;
}

/** Decodes Zstandard frames (numcodecs' `Zstd`, Zarr v3's `zstd`) that must hold `expected` bytes. */
export function decodeZstd(src: Uint8Array, expected: number): Uint8Array {
  const declared = frameContentSize(src);
  if (declared !== null && declared !== expected)
    throw new ZarrError(`Zstandard frame holds ${declared} bytes, ${expected} expected`);
  let out: Uint8Array;
  try {
    out = decompress(src);
  } catch (err) {
    throw new ZarrError(`Zstandard frame is corrupt: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (out.length !== expected) throw new ZarrError(`Zstandard data holds ${out.length} bytes, ${expected} expected`);
  return out;
}
