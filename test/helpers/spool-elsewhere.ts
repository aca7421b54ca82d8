import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.join(__dirname, '../..');
/** The other process's script: `node --import tsx spool-open-child.ts SPOOL [hold]`. */
export const SPOOL_CHILD = path.join(__dirname, 'spool-open-child.ts');

export interface ChildAnswer {
  opened?: boolean;
  error?: string;
  pid?: number | null;
  message?: string;
}

/** Opens the spool `file` in another process (and closes it again there): what that process saw. */
export function openElsewhere(file: string): ChildAnswer {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SPOOL_CHILD, file], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`spool child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as ChildAnswer;
}

/** The pid `<spool>.lock` names, whichever form it has (a symlink to the pid, or a file holding it). */
export function lockPid(file: string): number {
  const lock = `${file}.lock`;
  return Number(fs.lstatSync(lock).isSymbolicLink() ? fs.readlinkSync(lock) : fs.readFileSync(lock, 'utf8'));
}
