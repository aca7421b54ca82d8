import type { StreamHead } from '../ingest/live-changes';

/** What a bus tells its listener. */
export interface LiveBusListener {
  /** Streams that have committed changes up to these seqs (on this or another replica). */
  heads(heads: StreamHead[]): void;
  /** Messages may have been lost (the bus reconnected): re-read every stream from the store. */
  resync(): void;
}

/**
 * Tells every replica that live streams advanced. A message carries only (stream, seq); the
 * changes themselves are read from the store, so a lost or reordered message costs latency,
 * never a gap. Two backends: PostgreSQL LISTEN/NOTIFY (default) and Redis pub/sub.
 */
export interface LiveBus {
  readonly kind: 'postgres' | 'redis';
  /** Starts listening; resolves once messages published from now on will reach `listener`. */
  start(listener: LiveBusListener): Promise<void>;
  /** Announces committed heads; call only after the transaction that wrote them committed. */
  publish(heads: readonly StreamHead[]): Promise<void>;
  close(): Promise<void>;
}

export const LIVE_CHANNEL = 'provml_live';

/** Encodes heads as `stream\tseq` lines, split so that no message exceeds `maxBytes`. */
export function encodeHeads(heads: readonly StreamHead[], maxBytes: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const h of heads) {
    const line = `${h.stream}\t${h.seq}`;
    if (Buffer.byteLength(line) > maxBytes) continue; // ids are at most 200 characters: never in practice
    if (cur && Buffer.byteLength(cur) + 1 + Buffer.byteLength(line) > maxBytes) {
      out.push(cur);
      cur = '';
    }
    cur = cur ? `${cur}\n${line}` : line;
  }
  if (cur) out.push(cur);
  return out;
}

export function decodeHeads(message: string): StreamHead[] {
  const heads: StreamHead[] = [];
  for (const line of message.split('\n')) {
    const tab = line.lastIndexOf('\t');
    const seq = Number(line.slice(tab + 1));
    if (tab > 0 && Number.isSafeInteger(seq)) heads.push({ stream: line.slice(0, tab), seq });
  }
  return heads;
}
