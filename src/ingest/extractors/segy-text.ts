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
