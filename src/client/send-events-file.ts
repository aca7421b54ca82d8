import fs from 'node:fs';
import readline from 'node:readline';
import type { JsonValue } from './ingest-event';
import { HttpTransport, type BatchOutcome } from './ingest-transport';
import { IngestHttpError, postIngest } from './post-ingest';

export interface SendTotals {
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  batches: number;
  issues: BatchOutcome['issues'];
}

/**
 * `provml ingest FILE.jsonl`: sends a file of events in batches through the ingest mutation.
 * A line that is not JSON is reported with its line number and not sent; the rest go on. A batch
 * the server finds too large (413) is split in halves until it fits.
 */
export async function sendEventsFile(file: string, url: string, batchSize: number): Promise<SendTotals> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new TypeError(`batch size: an integer of at least 1, got ${batchSize}`);
  const totals: SendTotals = { events: 0, accepted: 0, duplicates: 0, rejected: 0, batches: 0, issues: [] };
  const transport = new HttpTransport(url, { timeoutMs: 30_000 });
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let batch: JsonValue[] = [];
  let lineNo = 0;
  const send = async (events: JsonValue[], offset: number): Promise<void> => {
    let r: BatchOutcome;
    try {
      r = await postIngest(url, events, { transport });
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
      totals.issues.push({
        index: -1,
        eventId: null,
        field: `line ${lineNo}`,
        code: 'BAD_USER_INPUT',
        message: `not JSON: ${(err as Error).message}`,
      });
      continue;
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return totals;
}
