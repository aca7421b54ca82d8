import { loadConfig } from '../config';
import { ClusterVersionError } from '../connectors/provenance/cluster-version';
import { DataDirBusyError } from '../connectors/provenance/data-dir-lock';
import { BackupError, backupLocalStore, restoreLocalStore } from '../connectors/provenance/local-backup';
import { createLogger } from '../logger';
import { CommandError, defineCommand } from './command-args';

/**
 * `provml backup DEST` and `provml restore BACKUP`: the local store (the PostgreSQL provml runs in
 * PROVML_DATA_DIR), copied cold while no server holds it (local-backup.ts says why cold). A
 * PostgreSQL server (PROVML_DATABASE_URL) is backed up with its own tools, pg_dump.
 */
function refuseServerStore(env: NodeJS.ProcessEnv, verb: string): void {
  if (env.PROVML_DATABASE_URL)
    throw new CommandError(
      `PROVML_DATABASE_URL is set: the store is a PostgreSQL server; ${verb} it with pg_dump / pg_restore (docs/deploy.md, "Data safety")`,
    );
}

/** The refusals a user acts on, as one line (exit 1); anything else is a bug and propagates. */
async function explained<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BackupError || err instanceof ClusterVersionError || err instanceof DataDirBusyError)
      throw new CommandError(err.message);
    throw err;
  }
}

export const backupCommand = defineCommand({
  synopsis: 'provml backup DEST',
  description:
    'Copy the local store (PROVML_DATA_DIR) to the new directory DEST, whole or not at all. Stop\n' +
    '`provml serve` first: the copy is taken with no PostgreSQL running, so it is consistent.\n' +
    'Never overwrites DEST. Bring it back with `provml restore DEST`.',
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ positionals }, io) {
    refuseServerStore(io.env, 'back up');
    const config = loadConfig(io.env);
    const log = createLogger(config.logLevel, { service: 'provml' });
    const m = await explained(() => backupLocalStore(config.dataDir, positionals[0], log));
    io.out.write(
      `provml backup: ${config.dataDir} copied to ${positionals[0]} (PostgreSQL ${m.postgresMajor}, provml ${m.provmlVersion})\n`,
    );
    return 0;
  },
});

export const restoreCommand = defineCommand({
  synopsis: 'provml restore BACKUP',
  description:
    'Bring a `provml backup` back as the local store of PROVML_DATA_DIR, which must hold none (an\n' +
    'existing store is never replaced: move it aside first). Then `provml serve` as usual.',
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ positionals }, io) {
    refuseServerStore(io.env, 'restore');
    const config = loadConfig(io.env);
    const log = createLogger(config.logLevel, { service: 'provml' });
    const m = await explained(() => restoreLocalStore(positionals[0], config.dataDir, log));
    io.out.write(`provml restore: ${positionals[0]} (taken ${m.createdAt}) restored into ${config.dataDir}\n`);
    return 0;
  },
});
