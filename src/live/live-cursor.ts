import { BadUserInputError } from '../errors';

/** A position in a live stream: the change's seq, and within it the index of an item (events). */
export interface LiveCursor {
  seq: number;
  index: number | null;
}

export const cursorOf = (seq: number, index?: number): string => (index === undefined ? String(seq) : `${seq}.${index}`);

/** Parses `after`; a malformed cursor is the client's mistake, named as such. */
export function parseCursor(after: string | null | undefined): LiveCursor | null {
  if (after === null || after === undefined) return null;
  const m = /^(\d{1,15})(?:\.(\d{1,9}))?$/.exec(after);
  if (!m) throw new BadUserInputError(`after: "${after}" is not a cursor this server gave`, 'after');
  return { seq: Number(m[1]), index: m[2] === undefined ? null : Number(m[2]) };
}

/**
 * Where to join the stream for a cursor: an item cursor re-reads its own change (the items after
 * it in that change are still due) and skips what was seen.
 */
export const joinAfter = (c: LiveCursor | null): number | null => (c === null ? null : c.index === null ? c.seq : c.seq - 1);

export const seenItem = (c: LiveCursor | null, seq: number, index: number): boolean =>
  c !== null && (seq < c.seq || (seq === c.seq && c.index !== null && index <= c.index));
