import { ZarrError } from './errors';

/**
 * Decodes one LZ4 *block* (not the LZ4 frame format), as lz4's `LZ4_decompress_safe` does, into
 * `out`, which must be exactly the decoded size. Format: lz4's doc/lz4_Block_format.md. A block is
 * a run of sequences; each starts with a token byte whose high nibble is the literal length and
 * low nibble the match length minus 4 (15 in either means "more length bytes follow, each added,
 * until one is not 255"), then the literals, then a 2-byte little-endian offset back into the
 * output and the match, which may overlap what it copies. The last sequence has literals only.
 */
export function decodeLz4Block(src: Uint8Array, out: Uint8Array): void {
  let ip = 0;
  let op = 0;
  const bad = (why: string): never => {
    throw new ZarrError(`LZ4 block is corrupt: ${why}`);
  };
  const moreLength = (len: number): number => {
    let b: number;
    do {
      if (ip >= src.length) bad('a length runs past the end of the block');
      b = src[ip++];
      len += b;
    } while (b === 255);
    return len;
  };
  if (src.length === 0) {
    if (out.length !== 0) bad('empty');
    return;
  }
  for (;;) {
    if (ip >= src.length) bad('a sequence starts past the end of the block');
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) lit = moreLength(lit);
    if (ip + lit > src.length) bad('literals run past the end of the block');
    if (op + lit > out.length) bad('it decodes to more bytes than expected');
    out.set(src.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip === src.length) break; // the last sequence: literals only
    if (ip + 2 > src.length) bad('an offset runs past the end of the block');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) bad('a match refers before the start of the output');
    let len = token & 15;
    if (len === 15) len = moreLength(len);
    len += 4;
    if (op + len > out.length) bad('it decodes to more bytes than expected');
    // Byte by byte: a match may overlap the bytes it is producing (offset < length is a run).
    for (let from = op - offset, end = op + len; op < end;) out[op++] = out[from++];
  }
  if (op !== out.length) bad(`it decodes to ${op} bytes, ${out.length} expected`);
}
