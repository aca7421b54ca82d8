import { ZarrError } from './errors';

/** BloscLZ's 13-bit window; a far match adds a 16-bit distance beyond it (blosclz.c MAX_DISTANCE). */
const MAX_DISTANCE = 8191;

/**
 * Decodes one BloscLZ stream (c-blosc 1.x, blosc/blosclz.c `blosclz_decompress`, format version 1;
 * a FastLZ level-1 descendant) into `out`, which must be exactly the decoded size. The stream is a
 * run of instructions, each a control byte (the first one's top 3 bits are masked off):
 * - below 32: a literal run of `ctrl + 1` bytes follows;
 * - otherwise a match: length `(ctrl >> 5) + 2` (7 means "add the following bytes until one is
 *   not 255"), distance `((ctrl & 31) << 8) + next byte + 1`; a distance byte of 255 with the
 *   high bits all set means a far match whose distance is the next two bytes (big-endian)
 *   plus MAX_DISTANCE + 1.
 * As in the reference decoder, the stream ends when its input does; a match is only copied when
 * an instruction follows it (the encoder always ends on literals).
 */
export function decodeBlosclz(src: Uint8Array, out: Uint8Array): void {
  const bad = (why: string): never => {
    throw new ZarrError(`BloscLZ stream is corrupt: ${why}`);
  };
  if (src.length === 0) {
    if (out.length !== 0) bad('empty');
    return;
  }
  let ip = 0;
  let op = 0;
  let ctrl = src[ip++] & 31;
  for (;;) {
    if (ctrl >= 32) {
      let len = (ctrl >>> 5) - 1;
      let ofs = (ctrl & 31) << 8;
      if (len === 6) {
        let code: number;
        do {
          if (ip + 1 >= src.length) bad('a match length runs past the end');
          code = src[ip++];
          len += code;
        } while (code === 255);
      } else if (ip + 1 >= src.length) bad('a match runs past the end');
      const code = src[ip++];
      len += 3;
      // `ref` as in the reference decoder, before its final `ref--`.
      let ref = op - ofs - code;
      if (code === 255 && ofs === 31 << 8) {
        if (ip + 1 >= src.length) bad('a far match runs past the end');
        ofs = (src[ip] << 8) + src[ip + 1];
        ip += 2;
        ref = op - ofs - MAX_DISTANCE;
      }
      if (op + len > out.length) bad('it decodes to more bytes than expected');
      if (ref - 1 < 0) bad('a match refers before the start of the output');
      if (ip >= src.length) break;
      ctrl = src[ip++];
      ref--;
      for (const end = op + len; op < end;) out[op++] = out[ref++];
    } else {
      const n = ctrl + 1;
      if (op + n > out.length) bad('it decodes to more bytes than expected');
      if (ip + n > src.length) bad('literals run past the end');
      out.set(src.subarray(ip, ip + n), op);
      op += n;
      ip += n;
      if (ip >= src.length) break;
      ctrl = src[ip++];
    }
  }
  if (op !== out.length) bad(`it decodes to ${op} bytes, ${out.length} expected`);
}
