import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { ProvmlConfig } from './config';
import { createContext, depsFor, type AppDeps, type RequestContext } from './context';
import { openProvenanceStore, type OpenedStore } from './connectors/provenance/open-provenance-store';
import { loadDemoIfEmpty } from './demo/load-demo';
import { pgConnectionFailure } from './connectors/provenance/pg-connection-error';
import { ErrorCode, isPublicCode, StoreUnavailableError } from './errors';
import { SpecCatalog } from './ingest/spec-catalog';
import type { Logger } from './logger';
import { handleProvRoute } from './interop/prov-route';
import { handleProvLakeRoute } from './interop/provlake/provlake-route';
import { handleWebRoute } from './webapp/static-route';
import { startBackgroundWorkers, type BackgroundWorkers } from './background-workers';
import { checkParseLimits, queryLimitsRule } from './query-limits';
import { guardCrossSite } from './security/cross-site';
import { loadStoreRegistry } from './connectors/store-registry';
import { loadRemoteSubschemas } from './resolvers/remote/remote.subschema';
import { buildGatewaySchema, buildSubschemaConfigs, defaultGatewaySchema } from './schema/stitch';
import { loadGraphiQLPage } from './web/graphiql-page';
import { observeStoreCalls } from './connectors/store-call';
import { ServerMetrics } from './ops/server-metrics';
import { REQUEST_ID_HEADER, requestIdOf } from './ops/request-id';
import { checkReadiness, readinessBody } from './ops/readiness';
import { ShutdownSteps } from './ops/shutdown-steps';
import { parseRequestBody, type ParsedRequestBody } from './ingest/request-body';
import { openLive } from './live/open-live';
import type { LiveHub } from './live/live-hub';
import { attachLiveServer, type LiveServer } from './live/live-server';
import { AccessGate, isLoopbackHost, type Denial } from './auth/access-gate';
import { RateLimiter } from './auth/rate-limiter';
import { hasScope } from './auth/scopes';

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
  metrics: ServerMetrics;
  /** Steps of the graceful stop; parts started with the server add theirs (e.g. closing subscriptions). */
  shutdown: ShutdownSteps;
  /** Subscriptions: closeAll(code, reason) for the drain, activeSubscriptions() for metrics. */
  live: LiveServer;
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

/** A refusal of the access gate, in GraphQL's error shape on every route. */
function sendDenial(res: http.ServerResponse, d: Denial) {
  sendJson(res, d.status, { errors: [{ message: d.error.message, extensions: d.error.extensions }] }, d.headers);
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
    // Automatic persisted queries would run a document the access gate never saw (a hash only).
    persistedQueries: false,
    // Apollo's own SIGINT/SIGTERM handlers stop it and then re-raise the signal, which kills the
    // process before the CLI has drained requests and stopped the local PostgreSQL.
    stopOnTerminationSignals: false,
  });
}

export interface StartOptions {
  /** Where the store registry's secretsFromEnv names are looked up (the CLI passes process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** How long stop() lets requests in flight finish before it closes their connections (ms; default config.drainMs). */
  drainMs?: number;
}

/** Requests being handled, and a way to wait until none are. */
class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  enter(): () => void {
    this.count++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.count === 0) for (const w of this.waiters.splice(0)) w();
    };
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

/**
 * Stops accepting, lets requests in flight finish (up to graceMs; an ingest batch in flight is
 * written and answered), runs `afterRequests` (long-lived connections such as subscriptions
 * close there, with their own close code), then closes what is left. Idle keep-alive
 * connections are closed as they become idle, or close() would wait for them.
 */
async function closeGracefully(
  server: http.Server,
  graceMs: number,
  inFlight: InFlight,
  afterRequests: () => Promise<void>,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  try {
    await Promise.race([inFlight.idle(), deadline]);
    await afterRequests();
    await Promise.race([closed, deadline]);
    server.closeAllConnections();
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}

/** Route label for metrics: a closed set, never the raw path (unbounded label values). */
function routeOf(pathname: string): string {
  if (pathname === '/graphql' || pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics') return pathname;
  if (pathname.startsWith('/provlake/')) return '/provlake';
  if (pathname.startsWith('/prov/')) return '/prov';
  return 'other';
}

const PROBE_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** Starts the whole server: store registry, provenance store, demo on first start, GraphQL over HTTP. */
export async function startServer(config: ProvmlConfig, log: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const metrics = new ServerMetrics(log.child({ source: 'metrics' }));
  const shutdown = new ShutdownSteps(log.child({ source: 'shutdown' }));
  const registry = await loadStoreRegistry({
    configPath: config.storesConfigPath,
    env: options.env ?? {},
    log: log.child({ source: 'stores' }),
    observe: metrics,
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
  // Every provenance call timed for /metrics, the workers' and the catalog's too.
  const store = observeStoreCalls('provenance', opened.store, metrics);
  metrics.countQueuesOf(store);
  let hub: LiveHub;
  try {
    hub = await openLive(config, opened, log);
  } catch (err) {
    await opened.close();
    await registry.close();
    throw err;
  }
  const deps: AppDeps & { live: LiveHub } = {
    config,
    store,
    catalog: new SpecCatalog(store),
    log,
    dataStores: new Map([['default', 'fs'], ...registry.kinds()]),
    registry,
    metrics,
    live: hub,
    tokens: opened.tokens,
    visibility: opened.visibility,
  };
  const gate = new AccessGate({
    mode: config.authMode,
    host: config.host,
    tokens: opened.tokens,
    limiter: new RateLimiter(config.rateLimits),
    log,
  });
  if (config.authMode === 'off' && !isLoopbackHost(config.host)) {
    log.warn('access control is off on a non-loopback host: anyone who reaches the port can read and write', {
      host: config.host,
    });
  }
  try {
    if (config.loadDemo) await loadDemoIfEmpty(deps);
  } catch (err) {
    await hub.close();
    await opened.close();
    await registry.close();
    throw err;
  }
  let workers: BackgroundWorkers;
  try {
    workers = startBackgroundWorkers(deps, registry, options.env ?? {});
    deps.parking = workers.parking;
  } catch (err) {
    await hub.close();
    await opened.close();
    await registry.close();
    throw err;
  }
  const schema = remotes.length ? buildGatewaySchema(buildSubschemaConfigs({ remotes })) : defaultGatewaySchema();
  const apollo = createApollo(config, log, schema);
  await apollo.start();
  const graphiql = loadGraphiQLPage({ log: log.child({ source: 'graphiql' }) });
  // Registered in start-up order; each phase runs last-registered first.
  shutdown.add('background workers', 'workers', () => workers.stop());
  shutdown.add('store registry', 'stores', () => registry.close());
  shutdown.add('provenance store', 'stores', () => opened.close());
  // Registered after the store it listens on, so it closes first.
  shutdown.add('live bus', 'stores', () => hub.close());

  const inFlight = new InFlight();
  let draining = false;
  const httpServer = http.createServer((req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const reqLog = log.child({ requestId });
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routeOf(pathname);
    const started = performance.now();
    const leave = inFlight.enter();
    const counted = metrics.requestStarted(route);
    // 'close' also fires when the client went away mid-answer: the request is over either way.
    res.once('close', () => {
      leave();
      counted(res.statusCode);
      const line = { method: req.method, path: pathname, status: res.statusCode, ms: Math.round(performance.now() - started) };
      if (PROBE_ROUTES.has(route)) reqLog.debug('request', line);
      else reqLog.info('request', line);
    });
    void handle(req, res, reqLog).catch((err: unknown) => {
      const lost = pgConnectionFailure(err);
      if (lost) reqLog.warn('provenance store unavailable', { path: req.url, reason: lost });
      else reqLog.error('request failed', { error: err instanceof Error ? err.message : String(err) });
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

  /**
   * Whether this request may see /readyz's details (store names, backends, errors) and /metrics:
   * everyone while access control is off, else admin tokens only; decided here, in one place.
   */
  const readinessDetailsFor = async (req: http.IncomingMessage): Promise<boolean> => {
    if (!(await gate.required().catch(() => true))) return true;
    if (!req.headers.authorization) return false;
    const who = await gate.authenticate(req, `${req.method} ${req.url ?? ''} details`);
    return who.ok && hasScope(who.principal, 'admin');
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, reqLog: Logger) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // CSRF and CORS for every route, before any body is read (docs/security.md).
    if (guardCrossSite(req, res, config.corsOrigins)) return;
    const reqDeps: AppDeps = { ...deps, log: reqLog };
    if (url.pathname === '/readyz') {
      const report = await checkReadiness({
        store: deps.store,
        backend: opened.backend,
        registry,
        workers: () => workers.status(),
        draining: () => draining,
      });
      sendJson(res, report.ready ? 200 : 503, readinessBody(report, await readinessDetailsFor(req)), {
        'cache-control': 'no-store',
      });
      return;
    }
    if (url.pathname === '/metrics') {
      // Scrapers send an admin token (Prometheus `authorization: credentials`) once access control is on.
      // The same gate as every route: 401 with WWW-Authenticate for a missing, revoked or expired
      // token, 403 naming the scope, and the refusal in the audit log.
      if (await gate.required().catch(() => true)) {
        const who = await gate.authenticate(req, 'GET /metrics');
        const admitted = who.ok ? gate.admitScope(who.principal, 'admin', 'GET /metrics') : who;
        if (!admitted.ok) return sendDenial(res, admitted.denial);
      }
      const { contentType, body } = await metrics.text();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    if (url.pathname === '/healthz') {
      const up = await deps.store.ping().then(
        () => true,
        () => false,
      );
      // Liveness is open to load balancers; what the server runs on is for admins only.
      const details = up && (await readinessDetailsFor(req));
      sendJson(res, up ? 200 : 503, { status: up ? 'ok' : 'unavailable', ...(details ? { store: opened.backend } : {}) });
      return;
    }
    // The pages are code with no data (GraphiQL, the web app): open, since a browser's navigation
    // carries no token; what they fetch from /graphql passes the gate like any client.
    // Browsers asking for /graphql as HTML get GraphiQL; POST and JSON GETs go on to Apollo.
    if (graphiql.handle(req, res, url)) return;
    // The web app (static files from dist/app) for GET/HEAD on every path the API does not own.
    if (await handleWebRoute(req, res)) return;
    // Every other route: who asks, and whether the route allows them (src/auth/access-gate.ts).
    const authn = await gate.authenticate(req, `${req.method} ${url.pathname}`);
    if (!authn.ok) {
      req.resume();
      return sendDenial(res, authn.denial);
    }
    const principal = authn.principal;
    const routed = gate.admitRoute(principal, req.method ?? 'GET', req.url ?? '/');
    if (!routed.ok) {
      req.resume();
      return sendDenial(res, routed.denial);
    }
    // A study-limited token reads and writes through the study filter on every route.
    const seen = depsFor(reqDeps, principal);
    // ProvLake's capture library posts here (/provlake/...-provenance).
    if (await handleProvLakeRoute(req, res, seen, principal)) return;
    // PROV documents (GET /prov/...): export with content negotiation.
    if (await handleProvRoute(req, res, seen)) return;
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
    let bodyWarnings: ParsedRequestBody['warnings'] = [];
    if (req.method === 'POST') {
      try {
        ({ parsed, warnings: bodyWarnings } = body.length ? parseRequestBody(body) : { parsed: {}, warnings: [] });
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
    // Every root field of the operation must be allowed before anything runs.
    const operations =
      req.method === 'POST' ? (Array.isArray(parsed) ? parsed : [parsed]) : [Object.fromEntries(url.searchParams)];
    for (const op of operations as Array<{ query?: unknown; operationName?: unknown } | null>) {
      const admitted = gate.admitGraphQL(principal, op?.query, op?.operationName);
      if (!admitted.ok) return sendDenial(res, admitted.denial);
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body: parsed },
      // A body decoded from UTF-8 with no `\u` escape holds no NUL and no lone surrogate in any
      // string (readBody decodes UTF-8; JSON forbids raw control characters in strings).
      context: async () =>
        createContext(reqDeps, principal, { bodyWithoutEscapes: req.method === 'POST' && !body.includes('\\u') }),
    });
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of result.headers) outHeaders[k] = v;
    if (result.body.kind === 'complete' && bodyWarnings.length) {
      // What the events' parse kept as strings, said in the answer (rare: only then re-encoded).
      const answer = JSON.parse(result.body.string) as { extensions?: Record<string, unknown> } | unknown[];
      if (!Array.isArray(answer)) answer.extensions = { ...answer.extensions, warnings: bodyWarnings };
      delete outHeaders['content-length'];
      res.writeHead(result.status ?? 200, outHeaders);
      res.end(JSON.stringify(answer));
      return;
    }
    res.writeHead(result.status ?? 200, outHeaders);
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  const live = attachLiveServer({
    httpServer,
    schema,
    deps,
    limits: config.queryLimits,
    formatError: formatErrorFor(log),
    log: log.child({ source: 'live' }),
    gate,
    corsOrigins: config.corsOrigins,
    parseLimits: config.parseLimits,
    authRecheckMs: config.authRecheckMs,
  });
  shutdown.add('subscriptions', 'connections', () => live.close());
  metrics.countSubscriptionsWith(() => live.activeSubscriptions());

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    // E.g. the port is taken: nothing may be left running, the local PostgreSQL least of all.
    await apollo.stop();
    await shutdown.run();
    throw err;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/graphql`;
  log.info('provml serving', { url, store: opened.backend, live: hub.backend });
  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    store: opened,
    metrics,
    shutdown,
    live,
    // Drain: stop accepting (and say not ready), let requests in flight finish, close long-lived
    // connections (subscriptions get SERVER_STOPPING and resume elsewhere with `after`), then stop
    // in the reverse order of start-up: the store (and its local PostgreSQL) last.
    stop: () =>
      (stopping ??= (async () => {
        draining = true;
        await closeGracefully(httpServer, options.drainMs ?? config.drainMs, inFlight, () => shutdown.run(['connections']));
        await apollo.stop();
        await shutdown.run(['workers', 'stores']);
      })()),
  };
}
