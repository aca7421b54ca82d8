import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startServer } from './server';
import { catchTerminationSignals } from './termination-signals';
import { sendEventsFile } from './client/send-events-file';
import { loadWorkflowSpecFile } from './ingest/workflow-spec';

const USAGE = `usage: provml <command>

  serve                         start the GraphQL server (PORT, HOST, PROVML_DATA_DIR, PROVML_DATABASE_URL)
  ingest FILE.jsonl --url URL   send a file of events (one JSON object a line) in batches
  register SPEC.{json,yaml} --url URL   register a prospective workflow spec
  print-schema                  print the public stitched schema (SDL)
  demo [--config FILE]          load the demo lifecycle into the provenance store and its domain data
                                into the server stores of the registry (FILE or PROVML_CONFIG)
  extract PATH_OR_URI [--json] [--fast] [--inline-byte N] [--crossline-byte N]
                                read SEG-Y / HDF5 metadata (file path, file:// or s3:// URI)
  export --url URL --format prov-json|turtle|jsonld|dot|svg [--run ID | --entity URI] [--depth N]
                                write the whole store, one run, or an entity's lineage as a PROV document
  import FILE.json --url URL    import a PROV-JSON file (yProv4ML runs, provml exports); twice changes nothing
  replay SPOOL.jsonl|DIR... --url URL   send a capture spool's unacknowledged events
  token create|list|revoke      manage access tokens in the database (docs/access-control.md)
`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function serve(args: string[]): Promise<number> {
  // Help only: it must not touch the data directory (a live server may hold it).
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig();
  const log = createLogger(config.logLevel, { service: 'provml' });
  const signals = catchTerminationSignals(log);
  try {
    const server = await startServer(config, log, { env: process.env });
    process.stdout.write(`provml: GraphQL at ${server.url}\n`);
    const signal = await signals.received;
    // Drains requests in flight, closes the pool, then stops the local PostgreSQL (fast shutdown).
    log.info('stopping', { signal });
    await server.stop();
    return 0;
  } finally {
    signals.dispose();
  }
}

async function register(args: string[]): Promise<number> {
  const file = args[0];
  const url = flag(args, '--url') ?? 'http://127.0.0.1:4000/graphql';
  if (!file) throw new Error('register needs a spec file');
  const spec = await loadWorkflowSpecFile(file);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation R($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { id name version } }',
      variables: { s: spec },
    }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  process.stdout.write(JSON.stringify(body.data) + '\n');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  try {
    switch (cmd) {
      case 'serve':
        return await serve(args);
      case 'ingest': {
        const file = args[0];
        if (!file) throw new Error('ingest needs a file');
        const url = flag(args, '--url') ?? 'http://127.0.0.1:4000/graphql';
        const batch = Number(flag(args, '--batch') ?? 1000);
        const totals = await sendEventsFile(file, url, batch);
        process.stdout.write(JSON.stringify(totals) + '\n');
        return totals.rejected ? 2 : 0;
      }
      case 'register':
        return await register(args);
      case 'demo': {
        const config = loadConfig();
        const { demoCommand } = await import('./demo/demo-command');
        const log = createLogger(config.logLevel, { service: 'provml' });
        return await demoCommand(config, flag(args, '--config') ?? config.storesConfigPath, process.env, log, process.stdout);
      }
      case 'print-schema': {
        const { printPublicSchema } = await import('./schema/build-schema');
        const { defaultGatewaySchema } = await import('./schema/stitch');
        // The public stitched schema: provenance plus the store subschemas, merge fields filtered out.
        process.stdout.write(printPublicSchema(defaultGatewaySchema()));
        return 0;
      }
      case 'extract': {
        // Loaded on demand: extraction pulls in h5wasm, which `serve` does not need.
        const { extractCommand } = await import('./ingest/extractors/extract-command');
        return await extractCommand(args, process.stdout, process.stderr);
      }
      case 'export': {
        const { exportCommand } = await import('./interop/export-command');
        return await exportCommand(args, process.stdout, process.stderr);
      }
      case 'import': {
        const { importCommand } = await import('./interop/import-command');
        return await importCommand(args, process.stdout, process.stderr);
      }
      case 'replay': {
        const { replayCommand } = await import('./client/replay-command');
        return await replayCommand(args, process.stdout, process.stderr);
      }
      case 'token': {
        const config = loadConfig();
        const { tokenCommand } = await import('./commands/token-command');
        return await tokenCommand(
          args,
          config,
          createLogger(config.logLevel, { service: 'provml' }),
          process.stdout,
          process.stderr,
        );
      }
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE);
        return cmd ? 0 : 1;
      default:
        process.stderr.write(`provml: unknown command ${cmd}\n${USAGE}`);
        return 1;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`provml: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
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
