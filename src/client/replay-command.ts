import fs from 'node:fs';
import path from 'node:path';
import { CapturePipeline, type LogLevel } from './capture-pipeline';
import { HttpTransport } from './ingest-transport';
import type { PipelineStats } from './pipeline-stats';
import { readSpool, SpoolLockedError } from './spool-file';

/**
 * Sends spooled events later: `provml replay SPOOL... --url URL`. A replay opens each spool as
 * the sender would on a restart: it registers the specs the spool holds, resends every event not
 * yet acknowledged, and appends the acknowledgements to the same file, so an interrupted replay
 * can simply be run again. Spools of the Python client replay the same way (same format).
 */

export interface ReplayResult {
  sent: number;
  pending: number;
  stats: PipelineStats;
}

export interface ReplayOptions {
  timeoutMs?: number;
  batchSize?: number;
  requestTimeoutMs?: number;
  log?: (level: LogLevel, message: string) => void;
}

/** Resends the unacknowledged events of one spool file. */
export async function replaySpool(file: string, url: string, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const before = await readSpool(file);
  const pipeline = new CapturePipeline({
    mode: 'spool',
    transport: new HttpTransport(url, { timeoutMs: opts.requestTimeoutMs ?? 30_000 }),
    spoolPath: file,
    spillDir: path.dirname(path.resolve(file)),
    tag: 'replay',
    batchSize: opts.batchSize ?? 500,
    flushIntervalMs: 50,
    log: opts.log,
  });
  await pipeline.flush(opts.timeoutMs ?? 60_000);
  const report = await pipeline.close(0);
  const after = await readSpool(file);
  return { sent: before.pending.length - after.pending.length, pending: after.pending.length, stats: report.stats };
}

/** Spool files named on the command line: files as given, directories for their *.jsonl. */
export function spoolFiles(paths: string[]): string[] {
  return paths.flatMap((p) =>
    fs.existsSync(p) && fs.statSync(p).isDirectory()
      ? fs
          .readdirSync(p)
          .filter((f) => f.endsWith('.jsonl'))
          .sort()
          .map((f) => path.join(p, f))
      : [p],
  );
}

const USAGE = 'usage: provml replay SPOOL.jsonl|DIR... --url URL [--timeout SECONDS] [--batch-size N]\n';

/**
 * `provml replay`: exit 0 when every spool is fully sent, 1 when events are still pending (or a
 * spool is in use by a live process), 2 on a usage error.
 */
export async function replayCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const paths: string[] = [];
  let url: string | undefined;
  let timeoutMs = 60_000;
  let batchSize = 500;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--url' || a === '--server') url = value();
      else if (a === '--timeout') timeoutMs = positive(a, value()) * 1000;
      else if (a === '--batch-size') batchSize = Math.floor(positive(a, value()));
      else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
      else paths.push(a);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      err.write(`provml replay: ${e.message}\n${USAGE}`);
      return 2;
    }
  }
  if (!url || !paths.length) {
    err.write(`provml replay: ${!url ? '--url is required' : 'name at least one spool file or directory'}\n${USAGE}`);
    return 2;
  }
  let failures = 0;
  for (const file of spoolFiles(paths)) {
    if (!fs.existsSync(file)) {
      err.write(`${file}: skipped: no such file\n`);
      failures += 1;
      continue;
    }
    try {
      const r = await replaySpool(file, url, {
        timeoutMs,
        batchSize,
        log: (level, m) => level !== 'info' && err.write(`provml: ${m}\n`),
      });
      out.write(
        `${file}: sent ${r.sent} (accepted ${r.stats.accepted}, duplicates ${r.stats.duplicates}, rejected ${r.stats.rejected}), still pending ${r.pending}\n`,
      );
      if (r.pending) failures += 1;
    } catch (e) {
      if (!(e instanceof SpoolLockedError)) throw e;
      err.write(`${file}: skipped: ${e.message}\n`);
      failures += 1;
    }
  }
  return failures ? 1 : 0;
}

class UsageError extends Error {}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: a positive number, got ${JSON.stringify(v)}`);
  return n;
}
