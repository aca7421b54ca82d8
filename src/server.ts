import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { ProvmlConfig } from './config';
import { createContext, type AppDeps, type RequestContext } from './context';
import { openProvenanceStore, type OpenedStore } from './connectors/provenance/open-provenance-store';
import { loadDemoIfEmpty } from './demo/load-demo';
import { pgConnectionFailure } from './connectors/provenance/pg-connection-error';
import { ErrorCode, isPublicCode, StoreUnavailableError } from './errors';
import { SpecCatalog } from './ingest/spec-catalog';
import type { Logger } from './logger';
import { handleProvRoute } from './interop/prov-route';
import { handleProvLakeRoute } from './interop/provlake/provlake-route';
import { startBackgroundWorkers, type BackgroundWorkers } from './background-workers';
import { checkParseLimits, queryLimitsRule } from './query-limits';
import { guardCrossSite } from './security/cross-site';
import { loadStoreRegistry } from './connectors/store-registry';
import { loadRemoteSubschemas } from './resolvers/remote/remote.subschema';
import { buildGatewaySchema, buildSubschemaConfigs, defaultGatewaySchema } from './schema/stitch';
import { loadGraphiQLPage } from './web/graphiql-page';

// Codes Apollo itself gives to malformed requests: shown as they are.
const APOLLO_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

export interface RunningServer {
  url: string;
  port: number;
  store: OpenedStore;
  stop(): Promise<void>;
}

class BodyTooLargeError extends Error {}

async function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw new BodyTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Logs unexpected errors once, with their cause, and masks them for the client. */
export function formatErrorFor(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    // Apollo relabels every validation error GRAPHQL_VALIDATION_FAILED; a query-limit error keeps
    // its `limit` extension, and clients need the distinct LIMIT_EXCEEDED code.
    if (code === 'GRAPHQL_VALIDATION_FAILED' && formatted.extensions?.limit !== undefined) {
      return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.LIMIT_EXCEEDED } };
    }
    if ((isPublicCode(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) || APOLLO_CODES.has(String(code))) return formatted;
    const original = unwrapResolverError(error);
    // PostgreSQL down or restarting: the client may retry, so say so with a typed code.
    const lost = pgConnectionFailure(original);
    if (lost) {
      log.warn('provenance store unavailable', { path: formatted.path, reason: lost });
      const typed = new StoreUnavailableError('provenance', lost);
      return { message: typed.message, path: formatted.path, locations: formatted.locations, extensions: typed.extensions };
    }
    log.error('unexpected error', {
      path: formatted.path,
      error: original instanceof Error ? original.message : String(original),
      stack: original instanceof Error ? original.stack : undefined,
    });
    return {
      message: 'internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/** Apollo over the stitched gateway (by default: provenance + knowledge, document, object stores). */
export function createApollo(
  config: ProvmlConfig,
  log: Logger,
  schema: GraphQLSchema = defaultGatewaySchema(),
): ApolloServer<RequestContext> {
  return new ApolloServer<RequestContext>({
    schema,
    introspection: true,
    validationRules: [queryLimitsRule(config.queryLimits)],
    // Also checked on the text before Apollo (checkParseLimits); this bounds any other path.
    parseOptions: { maxTokens: config.parseLimits.maxTokens },
    formatError: formatErrorFor(log),
    includeStacktraceInErrorResponses: false,
    // No field sets cache hints, and Apollo's default cache-control plugin hooks every field
    // resolution (it wraps every resolver of the gateway): measurable on a stitched query.
    // The landing page loads from Apollo's CDN; browsers get our self-hosted GraphiQL instead.
    plugins: [ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageDisabled()],
    // Apollo's own SIGINT/SIGTERM handlers stop it and then re-raise the signal, which kills the
    // process before the CLI has drained requests and stopped the local PostgreSQL.
    stopOnTerminationSignals: false,
  });
}

export interface StartOptions {
  /** Where the store registry's secretsFromEnv names are looked up (the CLI passes process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** How long stop() lets requests in flight finish before it closes their connections (ms). */
  drainMs?: number;
}

/**
 * Stops accepting, lets requests in flight finish (up to graceMs), then closes what is left.
 * Idle keep-alive connections are closed as they become idle, or close() would wait for them.
 */
async function closeGracefully(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}

/** Starts the whole server: store registry, provenance store, demo on first start, GraphQL over HTTP. */
export async function startServer(config: ProvmlConfig, log: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const registry = await loadStoreRegistry({
    configPath: config.storesConfigPath,
    env: options.env ?? {},
    log: log.child({ source: 'stores' }),
  });
  const remotes = await loadRemoteSubschemas(registry, log);
  let opened: OpenedStore;
  try {
    opened = await openProvenanceStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.poolSize,
      log,
    });
  } catch (err) {
    await registry.close();
    throw err;
  }
  const deps: AppDeps = {
    config,
    store: opened.store,
    catalog: new SpecCatalog(opened.store),
    log,
    dataStores: new Map([['default', 'fs'], ...registry.kinds()]),
    registry,
  };
  try {
    if (config.loadDemo) await loadDemoIfEmpty(deps);
  } catch (err) {
    await opened.close();
    await registry.close();
    throw err;
  }
  let workers: BackgroundWorkers;
  try {
    workers = startBackgroundWorkers(deps, registry, options.env ?? {});
  } catch (err) {
    await opened.close();
    await registry.close();
    throw err;
  }
  const schema = remotes.length ? buildGatewaySchema(buildSubschemaConfigs({ remotes })) : defaultGatewaySchema();
  const apollo = createApollo(config, log, schema);
  await apollo.start();
  const graphiql = loadGraphiQLPage({ log: log.child({ source: 'graphiql' }) });

  const httpServer = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const lost = pgConnectionFailure(err);
      if (lost) log.warn('provenance store unavailable', { path: req.url, reason: lost });
      else log.error('request failed', { error: err instanceof Error ? err.message : String(err) });
      if (res.headersSent) res.end();
      else if (lost) {
        const typed = new StoreUnavailableError('provenance', lost);
        sendJson(res, 503, { errors: [{ message: typed.message, extensions: typed.extensions }] });
      } else
        sendJson(res, 500, {
          errors: [{ message: 'internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }],
        });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // CSRF and CORS for every route, before any body is read (docs/security.md).
    if (guardCrossSite(req, res, config.corsOrigins)) return;
    if (url.pathname === '/healthz') {
      const up = await deps.store.ping().then(
        () => true,
        () => false,
      );
      sendJson(res, up ? 200 : 503, { status: up ? 'ok' : 'unavailable', store: opened.backend });
      return;
    }
    // Browsers asking for /graphql as HTML get GraphiQL; POST and JSON GETs go on to Apollo.
    if (graphiql.handle(req, res, url)) return;
    // ProvLake's capture library posts here (/provlake/...-provenance).
    if (await handleProvLakeRoute(req, res, deps)) return;
    // PROV documents (GET /prov/...): export with content negotiation.
    if (await handleProvRoute(req, res, deps)) return;
    if (url.pathname !== '/graphql') {
      sendJson(res, 404, {
        errors: [{ message: `no route ${url.pathname}; GraphQL is at /graphql`, extensions: { code: ErrorCode.NOT_FOUND } }],
      });
      return;
    }
    let body: string;
    try {
      body = await readBody(req, config.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        sendJson(
          res,
          413,
          {
            errors: [
              {
                message: `request body exceeds ${config.maxBodyBytes} bytes; send smaller batches`,
                extensions: { code: ErrorCode.LIMIT_EXCEEDED, limit: 'bytes per request', max: config.maxBodyBytes },
              },
            ],
          },
          { connection: 'close' },
        );
        req.resume();
        return;
      }
      throw err;
    }
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    let parsed: unknown = undefined;
    if (req.method === 'POST') {
      try {
        parsed = body.length ? JSON.parse(body) : {};
      } catch (err) {
        sendJson(res, 400, {
          errors: [{ message: `request body is not JSON: ${(err as Error).message}`, extensions: { code: 'BAD_REQUEST' } }],
        });
        return;
      }
    }
    const overLimit = checkParseLimits(
      req.method === 'POST' ? (parsed as { query?: unknown } | null)?.query : url.searchParams.get('query'),
      config.parseLimits,
    );
    if (overLimit) {
      sendJson(res, overLimit.status, { errors: [{ message: overLimit.error.message, extensions: overLimit.error.extensions }] });
      return;
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body: parsed },
      context: async () => createContext(deps),
    });
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of result.headers) outHeaders[k] = v;
    res.writeHead(result.status ?? 200, outHeaders);
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    // E.g. the port is taken: nothing may be left running, the local PostgreSQL least of all.
    await apollo.stop();
    await workers.stop();
    await opened.close();
    await registry.close();
    throw err;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/graphql`;
  log.info('provml serving', { url, store: opened.backend });
  return {
    url,
    port,
    store: opened,
    // Drain, then stop in the reverse order of start-up: the store (and its local PostgreSQL) last.
    stop: async () => {
      await closeGracefully(httpServer, options.drainMs ?? 10_000);
      await apollo.stop();
      await workers.stop();
      await opened.close();
      await registry.close();
    },
  };
}
