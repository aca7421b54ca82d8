import type { OptionDefs } from './command-args';

/** The server a client command talks to when no --url is given: `provml serve`'s default. */
export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

/** Options of every command that talks to a running server. */
export const SERVER_OPTIONS = {
  url: { type: 'string', value: 'URL', help: `the server's GraphQL URL (default ${DEFAULT_URL})` },
  token: {
    type: 'string',
    value: 'TOKEN',
    help: 'API token, sent as Authorization: Bearer (default: PROVML_TOKEN); never printed',
  },
} as const satisfies OptionDefs;

/** Options of the commands that run long enough to show progress. */
export const PROGRESS_OPTIONS = {
  quiet: { type: 'boolean', short: 'q', help: 'no progress line (there is none when stderr is not a terminal)' },
} as const satisfies OptionDefs;

/** --token wins over PROVML_TOKEN; an empty value means none. */
export function resolveToken(token: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const t = token ?? env.PROVML_TOKEN;
  return t ? t : undefined;
}

/** Request headers with the token, if any. */
export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
