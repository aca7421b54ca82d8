import fs from 'node:fs';
import readline from 'node:readline';
import { HttpTransport, IngestHttpError, postIngest, type BatchOutcome, type JsonValue } from '#client';
import { jsonErrorAt } from './json-location';

export interface SendTotals {
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  batches: number;
  issues: BatchOutcome['issues'];
}

export interface SendOptions {
  batchSize: number;
  token?: string;
  /** Called after each batch with the events sent so far. */
  onProgress?: (sent: number) => void;
}

/**
 * `provml ingest FILE.jsonl`: sends a file of events in batches through the ingest mutation.
 * A line that is not JSON is reported as FILE:LINE:COLUMN and not sent; the rest go on. A batch
 * the server finds too large (413) is split in halves until it fits. A server that cannot be
 * reached at the first batch fails at once (a typo in --url should not wait out the backoff);
 * later network errors are retried with backoff, the batch ids making resends harmless.
 */
export async function sendEventsFile(file: string, url: string, opts: SendOptions): Promise<SendTotals> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new TypeError(`batch size: an integer of at least 1, got ${batchSize}`);
  const totals: SendTotals = { events: 0, accepted: 0, duplicates: 0, rejected: 0, batches: 0, issues: [] };
  const transport = new HttpTransport(url, { timeoutMs: 30_000, token: opts.token });
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let batch: JsonValue[] = [];
  let lineNo = 0;
  let sent = 0;
  const send = async (events: JsonValue[], offset: number): Promise<void> => {
    let r: BatchOutcome;
    try {
      r = await postIngest(url, events, { transport, networkRetries: totals.batches === 0 ? 0 : undefined });
    } catch (err) {
      if (err instanceof IngestHttpError && err.kind === 'tooLarge' && events.length > 1) {
        const half = events.length >> 1;
        await send(events.slice(0, half), offset);
        await send(events.slice(half), offset + half);
        return;
      }
      throw err;
    }
    totals.batches += 1;
    totals.accepted += r.accepted;
    totals.duplicates += r.duplicates;
    totals.rejected += r.rejected;
    sent += events.length;
    opts.onProgress?.(sent);
    const room = Math.max(0, 100 - totals.issues.length);
    totals.issues.push(...r.issues.slice(0, room).map((i) => ({ ...i, index: i.index + offset })));
  };
  let sentBefore = 0;
  const flush = async () => {
    if (!batch.length) return;
    const events = batch;
    batch = [];
    await send(events, sentBefore);
    sentBefore += events.length;
  };
  for await (const line of rl) {
    lineNo += 1;
    if (!line.trim()) continue;
    totals.events += 1;
    try {
      batch.push(JSON.parse(line) as JsonValue);
    } catch (err) {
      totals.rejected += 1;
      const at = jsonErrorAt(file, line, err).replace(`${file}:1:`, `${file}:${lineNo}:`);
      totals.issues.push({ index: -1, eventId: null, field: at.split(': ')[0], code: 'BAD_USER_INPUT', message: at });
      continue;
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return totals;
}

/** Lines that hold something: the total for the progress line (one quick pass over the file). */
export async function countEventLines(file: string): Promise<number> {
  let n = 0;
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) n += 1;
  return n;
}
