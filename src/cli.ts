import type { Command, CommandIO } from './commands/command-args';
import { runCommand } from './commands/run-command';

/**
 * `provml <command>`: one table of subcommands, each loaded only when it runs (extraction pulls in
 * h5wasm, serve the whole server). A new subcommand is one entry here and one file in
 * src/commands/ that declares its options (see command-args.ts).
 */
interface CommandEntry {
  /** One line for `provml --help`. */
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  serve: {
    summary: 'start the GraphQL server (PORT, HOST, PROVML_DATA_DIR, PROVML_DATABASE_URL)',
    load: async () => (await import('./commands/serve-command')).serveCommand,
  },
  migrate: {
    summary: "bring the provenance store to this provml's schema (refuses a newer store's)",
    load: async () => (await import('./commands/migrate-command')).migrateCommand,
  },
  backup: {
    summary: 'copy the local store (PROVML_DATA_DIR) to a new directory, with no server running',
    load: async () => (await import('./commands/backup-command')).backupCommand,
  },
  restore: {
    summary: 'bring a backup back as the local store of an empty PROVML_DATA_DIR',
    load: async () => (await import('./commands/backup-command')).restoreCommand,
  },
  ingest: {
    summary: 'send a file of events (one JSON object a line) in batches',
    load: async () => (await import('./commands/ingest-command')).ingestCommand,
  },
  register: {
    summary: 'register a prospective workflow spec (JSON or YAML)',
    load: async () => (await import('./commands/register-command')).registerCommand,
  },
  'print-schema': {
    summary: 'print the public stitched schema (SDL)',
    load: async () => (await import('./commands/print-schema-command')).printSchemaCommand,
  },
  demo: {
    summary: 'load the demo lifecycle and its domain data into the configured stores',
    load: async () => (await import('./commands/demo-command')).demoCommand,
  },
  extract: {
    summary: 'read SEG-Y / HDF5 metadata (file path, file:// or s3:// URI)',
    load: async () => (await import('./commands/extract-command')).extractCommand,
  },
  export: {
    summary: 'write the whole store, one run, or a lineage as a PROV document',
    load: async () => (await import('./commands/export-command')).exportCommand,
  },
  import: {
    summary: 'import a PROV-JSON file (yProv4ML runs, provml exports); twice changes nothing',
    load: async () => (await import('./commands/import-command')).importCommand,
  },
  replay: {
    summary: "send a capture spool's unacknowledged events",
    load: async () => (await import('./commands/replay-command')).replayCommand,
  },
  parked: {
    summary: 'list (or delete) events waiting for their run or task to land (docs/ingest.md, "Parked events")',
    load: async () => (await import('./commands/parked-command')).parkedCommand,
  },
  token: {
    summary: 'manage access tokens in the database: create, list, revoke (docs/access-control.md)',
    load: async () => (await import('./commands/token-command')).tokenCliCommand,
  },
};

export function mainUsage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const rows = names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n].summary}`);
  return `usage: provml <command> [options]\n\n${rows.join('\n')}\n\n'provml <command> --help' prints a command's options.\n`;
}

/** Exit status: 0 done, 1 failed, 2 bad command line (or, for ingest/import, events rejected). */
export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.err.write(mainUsage());
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const entry = args[0] !== undefined ? COMMANDS[args[0]] : undefined;
    if (entry) return runCommand(args[0], await entry.load(), ['--help'], io);
    io.out.write(mainUsage());
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.err.write(`provml: unknown command ${name}\n${mainUsage()}`);
    return 2;
  }
  return runCommand(name, await entry.load(), args, io);
}

function defaultIO(): CommandIO {
  return { out: process.stdout, err: process.stderr, env: process.env };
}

// Allow `node dist/cli.js serve` as well as the bin shim.
if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`provml: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
