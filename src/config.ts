import path from 'node:path';
import { z } from 'zod';

/**
 * The whole configuration of a provml process, parsed once from the environment.
 * Every problem is reported together; nothing else in the code reads process.env.
 */
const intFrom = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const boolFrom = (def: boolean) =>
  z
    .enum(['0', '1', 'true', 'false', 'yes', 'no', 'on', 'off'])
    .default(def ? '1' : '0')
    .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

/** `https://app.example.org` or `http://127.0.0.1:5173`: what a browser sends in `Origin`. */
function isOrigin(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s;
  } catch {
    return false;
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `7d`, `12h`, `30m`, `90s`, `500ms`; `0` or `off`: forever (null). */
const durationFrom = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      if (v === '0' || v === 'off') return null;
      const m = /^(\d+)(ms|s|m|h|d)$/.exec(v.trim());
      if (!m || Number(m[1]) === 0) {
        ctx.addIssue({ code: 'custom', message: `${v} is not a duration (7d, 12h, 30m, 90s, 500ms; 0 or off: forever)` });
        return z.NEVER;
      }
      return Number(m[1]) * UNIT_MS[m[2]];
    });

const EnvSchema = z.object({
  PORT: intFrom(4000, 0, 65535),
  // Loopback by default; on any other host access control is required (PROVML_AUTH=auto).
  HOST: z.string().min(1).default('127.0.0.1'),
  PROVML_DATA_DIR: z.string().min(1).default('./.provml'),
  PROVML_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PROVML_DB_POOL_SIZE: intFrom(8, 1, 200),
  PROVML_DEMO: boolFrom(true),
  PROVML_CONFIG: z.string().optional(),
  PROVML_MAX_BATCH_EVENTS: intFrom(5000, 1, 1_000_000),
  PROVML_MAX_BODY_BYTES: intFrom(16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  PROVML_MAX_DEPTH: intFrom(10, 1, 100),
  PROVML_MAX_ALIASES: intFrom(10, 0, 1000),
  PROVML_MAX_ROOT_FIELDS: intFrom(10, 1, 1000),
  PROVML_MAX_SELECTIONS: intFrom(1000, 1, 100_000),
  // Parse-time limits, checked before graphql-js builds an AST (docs/security.md).
  PROVML_MAX_DOCUMENT_BYTES: intFrom(100_000, 1024, 16 * 1024 * 1024),
  PROVML_MAX_TOKENS: intFrom(10_000, 100, 1_000_000),
  // Browser origins allowed to call the server (CORS), comma-separated; none by default.
  PROVML_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const origins = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const o of origins) {
        if (!isOrigin(o)) ctx.addIssue({ code: 'custom', message: `${o} is not an origin (scheme://host[:port], no path)` });
      }
      return origins;
    }),
  PROVML_MAX_PAGE_SIZE: intFrom(500, 1, 100_000),
  PROVML_LINEAGE_MAX_DEPTH: intFrom(50, 1, 1000),
  PROVML_LINEAGE_NODE_CAP: intFrom(10_000, 1, 1_000_000),
  // Publishing PROV-O of ended runs into a knowledge store of the registry: off unless named.
  PROVML_PUBLISH_STORE: z.string().min(1).optional(),
  PROVML_PUBLISH_GRAPH: z.string().url().optional(),
  PROVML_PUBLISH_INTERVAL_MS: intFrom(2000, 100, 3_600_000),
  // Raw-data extraction requested at ingest ({"$ref", "store", "extract": true}).
  PROVML_EXTRACTION_CONCURRENCY: intFrom(2, 1, 64),
  PROVML_EXTRACTION_DOCUMENT_STORE: z.string().min(1).optional(),
  // Parked events (docs/ingest.md): past these they are kept and reported, never dropped.
  PROVML_PARKED_MAX_EVENTS: intFrom(100_000, 1, 100_000_000),
  PROVML_PARKED_MAX_AGE_S: intFrom(86_400, 1, 365 * 86_400),
  PROVML_PARKED_INTERVAL_MS: intFrom(1000, 50, 3_600_000),
  // Live subscriptions (docs/live.md): Redis pub/sub across replicas when set, else LISTEN/NOTIFY.
  PROVML_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  // The Redis channel; default `provml_live:<database name>`, so stores sharing a Redis stay apart.
  PROVML_REDIS_CHANNEL: z.string().min(1).max(200).optional(),
  PROVML_LIVE_MAX_PENDING: intFrom(50_000, 1, 10_000_000),
  PROVML_LIVE_BATCH_MS: intFrom(100, 0, 60_000),
  // How long the live log keeps a change (resume window of a cursor); pruned by every replica in turn.
  PROVML_LIVE_RETENTION: durationFrom('7d'),
  PROVML_LIVE_PRUNE_INTERVAL_MS: intFrom(60_000, 100, 86_400_000),
  // Access control (docs/access-control.md): auto = required off loopback, and on loopback once any token exists.
  PROVML_AUTH: z.enum(['auto', 'required', 'off']).default('auto'),
  // Per-token requests a minute, in each replica's memory; 0: unlimited.
  // How often the tokens of open subscription connections are checked again (revocation, expiry).
  PROVML_AUTH_RECHECK_MS: intFrom(10_000, 100, 3_600_000),
  PROVML_RATE_INGEST_PER_MIN: intFrom(600, 0, 1_000_000),
  PROVML_RATE_EXPENSIVE_PER_MIN: intFrom(120, 0, 1_000_000),
  PROVML_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  // A drain longer than the service manager's stop timeout would be cut by SIGKILL.
  PROVML_DRAIN_MS: intFrom(10_000, 0, 600_000),
});

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxSelections: number;
}

export type AuthMode = 'auto' | 'required' | 'off';
/** Limits checked on the document text before it is parsed (src/query-limits.ts). */
export interface ParseLimits {
  maxDocumentBytes: number;
  maxTokens: number;
}

export interface ProvmlConfig {
  port: number;
  host: string;
  dataDir: string;
  /** A PostgreSQL server; when absent the server runs its own local PostgreSQL in dataDir. */
  databaseUrl?: string;
  poolSize: number;
  loadDemo: boolean;
  storesConfigPath?: string;
  maxBatchEvents: number;
  maxBodyBytes: number;
  queryLimits: QueryLimits;
  parseLimits: ParseLimits;
  /** Browser origins allowed by CORS (exact match); empty: cross-origin browser calls are refused. */
  corsOrigins: string[];
  maxPageSize: number;
  lineageMaxDepth: number;
  lineageNodeCap: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Store id of a SPARQL store to publish provenance to; undefined: publishing off. */
  publishStore?: string;
  publishGraph?: string;
  publishIntervalMs: number;
  extractionConcurrency: number;
  /** Document store that receives extracted footprints; default: the registry's first writable one. */
  extractionDocumentStore?: string;
  /** Parked events: reported past these (count, oldest age in seconds), and how often each replica looks (ms). */
  parked: { maxEvents: number; maxAgeSeconds: number; intervalMs: number };
  /** Redis for live subscriptions across replicas; undefined: PostgreSQL LISTEN/NOTIFY. */
  redisUrl?: string;
  /** Redis channel of this store's live heads; undefined: `provml_live:<database name>`. */
  redisChannel?: string;
  /** Items (events, points) a subscriber may fall behind by before it is dropped. */
  liveMaxPending: number;
  /** Least time between two metric batches of one subscription (ms). */
  liveBatchMs: number;
  /** How long the live log keeps a change (ms); null: forever (never pruned). */
  liveRetentionMs: number | null;
  /** How often a replica tries to prune the live log (ms). */
  livePruneIntervalMs: number;
  /** How long a graceful stop lets requests in flight finish (ms). */
  drainMs: number;
  /** Access control: required, off, or auto (required unless HOST is loopback and no token exists). */
  authMode: AuthMode;
  /** How often open WebSocket connections have their token checked again (ms). */
  authRecheckMs: number;
  /** Per-token rate limits, requests a minute (0: unlimited), counted per replica. */
  rateLimits: { ingestPerMinute: number; expensivePerMinute: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ProvmlConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.PROVML_DATA_DIR),
    databaseUrl: e.PROVML_DATABASE_URL,
    poolSize: e.PROVML_DB_POOL_SIZE,
    loadDemo: e.PROVML_DEMO,
    storesConfigPath: e.PROVML_CONFIG,
    maxBatchEvents: e.PROVML_MAX_BATCH_EVENTS,
    maxBodyBytes: e.PROVML_MAX_BODY_BYTES,
    queryLimits: {
      maxDepth: e.PROVML_MAX_DEPTH,
      maxAliases: e.PROVML_MAX_ALIASES,
      maxRootFields: e.PROVML_MAX_ROOT_FIELDS,
      maxSelections: e.PROVML_MAX_SELECTIONS,
    },
    parseLimits: { maxDocumentBytes: e.PROVML_MAX_DOCUMENT_BYTES, maxTokens: e.PROVML_MAX_TOKENS },
    corsOrigins: e.PROVML_CORS_ORIGINS,
    maxPageSize: e.PROVML_MAX_PAGE_SIZE,
    lineageMaxDepth: e.PROVML_LINEAGE_MAX_DEPTH,
    lineageNodeCap: e.PROVML_LINEAGE_NODE_CAP,
    logLevel: e.PROVML_LOG_LEVEL,
    publishStore: e.PROVML_PUBLISH_STORE,
    publishGraph: e.PROVML_PUBLISH_GRAPH,
    publishIntervalMs: e.PROVML_PUBLISH_INTERVAL_MS,
    extractionConcurrency: e.PROVML_EXTRACTION_CONCURRENCY,
    extractionDocumentStore: e.PROVML_EXTRACTION_DOCUMENT_STORE,
    parked: {
      maxEvents: e.PROVML_PARKED_MAX_EVENTS,
      maxAgeSeconds: e.PROVML_PARKED_MAX_AGE_S,
      intervalMs: e.PROVML_PARKED_INTERVAL_MS,
    },
    redisUrl: e.PROVML_REDIS_URL,
    redisChannel: e.PROVML_REDIS_CHANNEL,
    liveMaxPending: e.PROVML_LIVE_MAX_PENDING,
    liveBatchMs: e.PROVML_LIVE_BATCH_MS,
    liveRetentionMs: e.PROVML_LIVE_RETENTION,
    livePruneIntervalMs: e.PROVML_LIVE_PRUNE_INTERVAL_MS,
    drainMs: e.PROVML_DRAIN_MS,
    authMode: e.PROVML_AUTH,
    authRecheckMs: e.PROVML_AUTH_RECHECK_MS,
    rateLimits: { ingestPerMinute: e.PROVML_RATE_INGEST_PER_MIN, expensivePerMinute: e.PROVML_RATE_EXPENSIVE_PER_MIN },
  };
}
