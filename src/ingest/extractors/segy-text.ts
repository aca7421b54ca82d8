/**
 * SEG-Y textual headers: 3200 bytes (40 card images of 80 characters), EBCDIC in most files
 * and ASCII in some, with nothing in the file that says which. We decide by counting which
 * decoding yields more plausible text.
 */

/** IBM code page 037 to printable ASCII; anything without an ASCII twin becomes a space. */
const CP037 =
  '                                                                           .<(+|&         !$*); -/         ,%_>?         `:#@\'=" abcdefghi       jklmnopqr       ~stuvwxyz      ^         []    {ABCDEFGHI      }JKLMNOPQR      \\ STUVWXYZ      0123456789      ';

export type TextEncoding = 'ebcdic' | 'ascii';

const isAsciiText = (b: number) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d;
// In EBCDIC letters, digits and the space are what real headers are made of.
const isEbcdicText = (b: number) => b === 0x40 || /[A-Za-z0-9.,:=()\-/]/.test(CP037[b]);

/** Share of bytes that read as text in each encoding (0..1). */
export function textScores(block: Uint8Array): {
  ascii: number;
  ebcdic: number;
} {
  let a = 0;
  let e = 0;
  for (const b of block) {
    if (isAsciiText(b)) a++;
    if (isEbcdicText(b)) e++;
  }
  const n = block.length || 1;
  return { ascii: a / n, ebcdic: e / n };
}

export function detectEncoding(block: Uint8Array): TextEncoding {
  const s = textScores(block);
  return s.ebcdic > s.ascii ? 'ebcdic' : 'ascii';
}

/** True when a 3200-byte block is plausibly a textual header (most bytes are text). */
export function looksLikeTextHeader(block: Uint8Array): boolean {
  if (block.length < 3200) return false;
  const s = textScores(block);
  return Math.max(s.ascii, s.ebcdic) >= 0.9;
}

/** The 40 card images as lines, trailing blanks trimmed, joined by newlines. */
export function decodeTextHeader(block: Uint8Array, encoding: TextEncoding): string {
  let text = '';
  for (const b of block) {
    if (encoding === 'ebcdic') text += CP037[b];
    else text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ' ';
  }
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 80) lines.push(text.slice(i, i + 80).trimEnd());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

/** Rev 1/2: a variable count of extended headers ends with this stanza. */
export const END_TEXT_STANZA = '((SEG: EndText))';

/**
 * The stanza name a 3200-byte extended header opens with, in the encoding its "((" is written
 * in (ASCII 0x28 or EBCDIC 0x4D, whatever the main header's); null for a block that continues
 * the previous stanza. Like segyio (parse_stanza_header), the name must start the block.
 */
export function stanzaHeader(block: Uint8Array): { name: string; encoding: TextEncoding } | null {
  const encoding: TextEncoding | null =
    block[0] === 0x28 && block[1] === 0x28 ? 'ascii' : block[0] === 0x4d && block[1] === 0x4d ? 'ebcdic' : null;
  if (!encoding) return null;
  const close = encoding === 'ascii' ? 0x29 : 0x5d;
  for (let i = 2; i + 1 < block.length; i++) {
    if (block[i] === close && block[i + 1] === close) {
      const raw = block.subarray(2, i);
      const name = encoding === 'ascii' ? String.fromCharCode(...raw) : Array.from(raw, (b) => CP037[b]).join('');
      return { name, encoding };
    }
  }
  return null;
}

/** Stanza names compare without case or spaces: "((  seg: endTEXt  ))" is EndText (segyio does the same). */
export const isEndText = (name: string): boolean => name.replace(/ /g, '').toLowerCase() === 'seg:endtext';
