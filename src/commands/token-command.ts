import path from 'node:path';
import pg from 'pg';
import { loadConfig, type ProvmlConfig } from '../config';
import { migrate } from '../connectors/provenance/migrate';
import { readLocalState } from '../connectors/provenance/local-state';
import { openProvenanceStore } from '../connectors/provenance/open-provenance-store';
import { PgApiTokenStore, type ApiTokenRow, type ApiTokenStore } from '../connectors/provenance/pg-api-tokens';
import { duplicateNameError, validateTokenRequest } from '../auth/token-input';
import { ProvmlError } from '../errors';
import { createLogger, type Logger } from '../logger';
import { defineCommand } from './command-args';

export const TOKEN_USAGE = `usage: provml token <create|list|revoke> (against the database: PROVML_DATABASE_URL or the local store in PROVML_DATA_DIR)

  token create --name NAME --scopes read,ingest,register,admin [--studies ID,ID] [--owner WHO] [--expires-days N]
                 prints the token once on stdout; only its hash is stored
  token list [--json]              tokens without secrets: name, scopes, studies, expiry, last use, revoked
  token revoke ID_OR_NAME          refused at once by every server on this database
`;

interface Out {
  write(s: string): unknown;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/**
 * The token store of the configured database. A local store that a running server holds is
 * reached through the connection file that server wrote; otherwise it is started for the command.
 */
async function openTokens(config: ProvmlConfig, log: Logger): Promise<{ tokens: ApiTokenStore; close(): Promise<void> }> {
  if (!config.databaseUrl) {
    const state = await readLocalState(path.join(config.dataDir, 'local-postgres.json'));
    if (state.port && state.password) {
      const pool = new pg.Pool({
        connectionString: `postgresql://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/postgres`,
        max: 1,
        connectionTimeoutMillis: 3000,
      });
      pool.on('error', () => undefined);
      const live = await pool.query('SELECT 1').then(
        () => true,
        () => false,
      );
      if (live) {
        await migrate(pool, log);
        return { tokens: new PgApiTokenStore(pool), close: () => pool.end() };
      }
      await pool.end().catch(() => undefined);
    }
  }
  const opened = await openProvenanceStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, log });
  return { tokens: opened.tokens, close: () => opened.close() };
}

const iso = (d: Date | null) => (d ? d.toISOString() : '-');

function describe(t: ApiTokenRow): string {
  const state = t.revokedAt ? `revoked ${iso(t.revokedAt)}` : t.expiresAt && t.expiresAt <= new Date() ? 'expired' : 'active';
  return [
    t.id,
    t.name,
    t.scopes.join(','),
    t.studies ? t.studies.join(',') : '*',
    `expires ${iso(t.expiresAt)}`,
    `last used ${iso(t.lastUsedAt)}`,
    state,
  ].join('\t');
}

/** `provml token create|list|revoke`: token management against the database, for the first admin token and later. */
export async function tokenCommand(args: string[], config: ProvmlConfig, log: Logger, stdout: Out, stderr: Out): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || !['create', 'list', 'revoke'].includes(sub)) {
    (sub && sub !== '--help' && sub !== '-h' ? stderr : stdout).write(TOKEN_USAGE);
    return sub && sub !== '--help' && sub !== '-h' ? 1 : 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    stdout.write(TOKEN_USAGE);
    return 0;
  }
  let request: ReturnType<typeof validateTokenRequest> | null = null;
  try {
    if (sub === 'create') {
      const days = flag(rest, '--expires-days');
      request = validateTokenRequest({
        name: flag(rest, '--name') ?? '',
        owner: flag(rest, '--owner') ?? null,
        scopes: list(flag(rest, '--scopes')) ?? [],
        studies: list(flag(rest, '--studies')) ?? null,
        expiresInDays: days === undefined ? null : Number(days),
      });
    } else if (sub === 'revoke' && !rest[0]) {
      stderr.write(`provml: token revoke needs a token id or name\n${TOKEN_USAGE}`);
      return 1;
    }
  } catch (err) {
    if (err instanceof ProvmlError) {
      stderr.write(`provml: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const { tokens, close } = await openTokens(config, log);
  try {
    if (request) {
      try {
        const { row, token } = await tokens.create(request);
        stderr.write(
          `created token ${row.name} (${row.id}), scopes ${row.scopes.join(',')}; it is printed once, store it now:\n`,
        );
        stdout.write(`${token}\n`);
        return 0;
      } catch (err) {
        const dup = duplicateNameError(err, request.name);
        if (!dup) throw err;
        stderr.write(`provml: ${dup.message}\n`);
        return 1;
      }
    }
    if (sub === 'list') {
      const rows = await tokens.list();
      if (rest.includes('--json')) stdout.write(JSON.stringify(rows) + '\n');
      else for (const r of rows) stdout.write(describe(r) + '\n');
      return 0;
    }
    const row = await tokens.revoke(rest[0]);
    if (!row) {
      stderr.write(`provml: no token ${rest[0]}\n`);
      return 1;
    }
    stdout.write(describe(row) + '\n');
    return 0;
  } finally {
    await close();
  }
}

/** The `token` entry of cli.ts's table: its options declared for the one parser, then tokenCommand. */
export const tokenCliCommand = defineCommand({
  synopsis: 'provml token create|list|revoke [ID_OR_NAME] [options]',
  description:
    'Manage access tokens in the database (PROVML_DATABASE_URL or the local store in PROVML_DATA_DIR); see docs/access-control.md.',
  options: {
    name: { type: 'string', value: 'NAME', help: 'create: the token name (unique)' },
    scopes: { type: 'string', value: 'LIST', help: 'create: read,ingest,register,admin' },
    studies: { type: 'string', value: 'LIST', help: 'create: limit the token to these study ids' },
    owner: { type: 'string', value: 'WHO', help: 'create: who holds it' },
    'expires-days': { type: 'string', value: 'N', help: 'create: expires after N days' },
    json: { type: 'boolean', help: 'list: JSON instead of a table' },
  },
  positionals: { min: 1, max: 2 },
  async run(args, io) {
    // tokenCommand reads its own argv: rebuild it from what the parser accepted.
    const argv = [...args.positionals];
    for (const [k, v] of Object.entries(args.values)) {
      if (v === true) argv.push(`--${k}`);
      else if (typeof v === 'string') argv.push(`--${k}`, v);
    }
    const config = loadConfig(io.env);
    return tokenCommand(argv, config, createLogger(config.logLevel, { service: 'provml' }), io.out, io.err);
  },
});
