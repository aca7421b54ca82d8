import fs from 'node:fs';
import readline from 'node:readline';
import { postIngest, type BatchOutcome } from './post-ingest';

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
 * A line that is not JSON is reported with its line number and not sent; the rest go on.
 */
export async function sendEventsFile(file: string, url: string, batchSize: number): Promise<SendTotals> {
  const totals: SendTotals = { events: 0, accepted: 0, duplicates: 0, rejected: 0, batches: 0, issues: [] };
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let batch: unknown[] = [];
  let lineNo = 0;
  const flush = async () => {
    if (!batch.length) return;
    const r = await postIngest(url, batch);
    totals.batches += 1;
    totals.accepted += r.accepted;
    totals.duplicates += r.duplicates;
    totals.rejected += r.rejected;
    totals.issues.push(...r.issues.slice(0, 100 - totals.issues.length));
    batch = [];
  };
  for await (const line of rl) {
    lineNo += 1;
    if (!line.trim()) continue;
    totals.events += 1;
    try {
      batch.push(JSON.parse(line));
    } catch (err) {
      totals.rejected += 1;
      totals.issues.push({ index: -1, eventId: null, field: `line ${lineNo}`, code: 'BAD_USER_INPUT', message: `not JSON: ${(err as Error).message}` });
      continue;
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return totals;
}
