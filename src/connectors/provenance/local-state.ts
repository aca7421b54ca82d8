import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * `<dataDir>/local-postgres.json`: how to reach the local PostgreSQL. Losing it costs nothing but
 * a password reset (see local-postgres.ts): the events live in the cluster, never in this file.
 */
export interface LocalState {
  port: number;
  password: string;
  clusterDir: string;
}

/** What could be read of the state file: every field that is well-formed, none that is not. */
export type PartialState = Partial<LocalState> & { problem?: string };

export async function readLocalState(file: string): Promise<PartialState> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { problem: 'missing' };
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  if (!raw || typeof raw !== 'object') return { problem: 'not an object' };
  const v = raw as Record<string, unknown>;
  const out: PartialState = {};
  if (typeof v.password === 'string' && /^[A-Za-z0-9_-]{8,}$/.test(v.password)) out.password = v.password;
  else out.problem = 'no usable password';
  if (typeof v.clusterDir === 'string' && path.isAbsolute(v.clusterDir)) out.clusterDir = v.clusterDir;
  if (typeof v.port === 'number' && Number.isInteger(v.port)) out.port = v.port;
  return out;
}

/** Temp file, fsync, rename, fsync of the directory: a crash leaves the old file or the new, never half. */
export async function writeLocalState(file: string, state: LocalState): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify(state));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
