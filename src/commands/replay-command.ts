import fs from 'node:fs';
import path from 'node:path';
import { CapturePipeline, HttpTransport, readSpool, SpoolLockedError, type LogLevel, type PipelineStats } from '#client';
import { defineCommand, intOption, positiveOption } from './command-args';
import { DEFAULT_URL, resolveToken, SERVER_OPTIONS } from './server-options';

/**
 * Sends spooled events later: `provml replay SPOOL... --url URL`. A replay opens each spool as
 * the sender would on a restart: it registers the specs the spool holds, resends every event not
 * yet acknowledged, and appends the acknowledgements to the same file, so an interrupted replay
 * can simply be run again. Spools of the Python client replay the same way (same format).
 */

export interface ReplayResult {
  sent: number;
  pending: number;
  /** 1-based numbers of the spool's torn lines (a crash mid-write): skipped, every whole line sent. */
  tornAt: number[];
  stats: PipelineStats;
}

export interface ReplayOptions {
  timeoutMs?: number;
  batchSize?: number;
  requestTimeoutMs?: number;
  /** API token (Authorization: Bearer); the spool never holds it. */
  token?: string;
  log?: (level: LogLevel, message: string) => void;
}

/** Resends the unacknowledged events of one spool file. */
export async function replaySpool(file: string, url: string, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const before = await readSpool(file);
  const pipeline = new CapturePipeline({
    mode: 'spool',
    transport: new HttpTransport(url, { timeoutMs: opts.requestTimeoutMs ?? 30_000, token: opts.token }),
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
  return {
    sent: before.pending.length - after.pending.length,
    pending: after.pending.length,
    tornAt: before.tornAt,
    stats: report.stats,
  };
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

/**
 * `provml replay`: exit 0 when every spool is fully sent, 1 when events are still pending (or a
 * spool is in use by a live process; or, with --strict, holds a torn line), 2 on a usage error.
 * A torn line (a crash mid-write) never stops a replay: it is named on stderr, FILE:LINE, and
 * every whole line is sent.
 */
export const replayCommand = defineCommand({
  synopsis: 'provml replay SPOOL.jsonl|DIR... [--url URL] [--token TOKEN] [--timeout SECONDS] [--batch-size N] [--strict]',
  description:
    "Send a capture spool's unacknowledged events (the Python and Node clients write the same\n" +
    'format). Safe to run again after an interruption. One line per spool file; each torn line\n' +
    '(a crash mid-write) is named on stderr as FILE:LINE and skipped, every whole line sent.',
  options: {
    ...SERVER_OPTIONS,
    server: { type: 'string', value: 'URL', help: 'same as --url' },
    timeout: { type: 'string', value: 'SECONDS', help: 'how long to keep trying per spool (default 60)' },
    'batch-size': { type: 'string', value: 'N', help: 'events per ingest mutation (default 500)' },
    strict: { type: 'boolean', help: 'exit 1 when a spool holds a torn line (still replaying the rest)' },
  },
  positionals: { min: 1, max: Infinity },
  async run({ values, positionals }, io) {
    const url = values.url ?? values.server ?? DEFAULT_URL;
    const timeoutMs = positiveOption('timeout', values.timeout, 60) * 1000;
    const batchSize = intOption('batch-size', values['batch-size'], 500);
    const token = resolveToken(values.token, io.env);
    let failures = 0;
    for (const file of spoolFiles(positionals)) {
      if (!fs.existsSync(file)) {
        io.err.write(`${file}: skipped: no such file\n`);
        failures += 1;
        continue;
      }
      try {
        const r = await replaySpool(file, url, {
          timeoutMs,
          batchSize,
          token,
          log: (level, m) => level !== 'info' && io.err.write(`provml: ${m}\n`),
        });
        for (const line of r.tornAt) io.err.write(`${file}:${line}: torn line skipped (not a whole JSON record)\n`);
        io.out.write(
          `${file}: sent ${r.sent} (accepted ${r.stats.accepted}, duplicates ${r.stats.duplicates}, rejected ${r.stats.rejected}), still pending ${r.pending}` +
            `${r.tornAt.length ? `, torn lines ${r.tornAt.length}` : ''}\n`,
        );
        if (r.pending || (values.strict && r.tornAt.length)) failures += 1;
      } catch (e) {
        if (!(e instanceof SpoolLockedError)) throw e;
        io.err.write(`${file}: skipped: ${e.message}\n`);
        failures += 1;
      }
    }
    return failures ? 1 : 0;
  },
});
