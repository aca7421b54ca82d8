/**
 * CPU used by this process and by PostgreSQL's backends of one database (utime + stime from
 * /proc; the benchmarks' server runs on this machine). On a shared 2-core machine wall time is
 * mostly other people's load; CPU per event is not, so benchmarks print it beside their rates.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** CPU ticks (1/100 s) of each backend connected to `db` now. */
export async function backendTicks(admin: pg.Client | pg.Pool, db: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(pid, Number(f[11]) + Number(f[12]));
    } catch {
      // a backend that just exited
    }
  }
  return out;
}

/** CPU seconds since `before` of the backends alive now (one that exited meanwhile is lost). */
export async function backendCpuSince(admin: pg.Client | pg.Pool, db: string, before: Map<number, number>): Promise<number> {
  let ticks = 0;
  for (const [pid, t] of await backendTicks(admin, db)) ticks += t - (before.get(pid) ?? 0);
  return ticks / 100;
}

/** CPU seconds this process has used (all threads: the event loop, libuv's pool, GC helpers). */
export const nodeCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
