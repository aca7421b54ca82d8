import { SpoolWriter } from '../../clients/typescript/src/spool-file';

/**
 * Another process opening a spool, as a second job would: `tsx spool-open-child.ts SPOOL [hold]`.
 * Prints one JSON line, {"opened": true} or {"error": name, "pid": n}; with `hold`, keeps the spool
 * open until stdin closes.
 */
const [file, mode] = process.argv.slice(2);
try {
  const writer = SpoolWriter.open(file, { fsync: false });
  process.stdout.write(JSON.stringify({ opened: true }) + '\n');
  if (mode === 'hold') {
    process.stdin.resume();
    process.stdin.on('end', () => void writer.close());
  } else writer.closeSync();
} catch (err) {
  const e = err as Error & { pid?: number };
  process.stdout.write(JSON.stringify({ error: e.name, pid: e.pid ?? null, message: e.message }) + '\n');
}
