import type http from 'node:http';
import type { AppDeps } from '../../context';
import { ErrorCode, ProvmlError } from '../../errors';
import { ingestBatch, type IngestResult } from '../../ingest/ingest-batch';
import { specHash } from '../../ingest/workflow-spec';
import { handleDataStores, DATA_STORES } from './provlake-data-stores';
import { mapRequests, runsWithCycles } from './provlake-events';
import { BodyTooLarge, fail, pathOf, readJson, send } from './provlake-http';
import { parsedWarnings, type PythonJson } from '../python-json';
import { OpenTasks } from './provlake-nesting';
import { prospectiveToSpec } from './provlake-prospective';
import { parseRetrospectiveBody } from './provlake-requests';
import { ensureProvLakeSpecs } from './provlake-specs';
import { ingestWithinStudies } from '../../auth/ingest-study-check';
import { OPEN_PRINCIPAL, type Principal } from '../../auth/scopes';

/**
 * The ProvLake service API, so a script instrumented with IBM's ProvLake library switches to
 * provml by changing its service URL (docs/interop.md):
 *   POST|PUT /provlake/prospective-provenance   the dataflow structure → a workflow spec
 *   POST     /provlake/retrospective-provenance a list of workflow / task / cycle requests → events
 *   GET|POST /provlake/provenance/api/data-stores[/<id>]  the data store catalog (provlake-data-stores.ts)
 * The library builds its URLs with Python's urljoin, which drops the last path segment of a base
 * without a trailing slash; so the same paths are also answered at the root.
 * Returns false for any other path.
 */
export const PROVLAKE_BASE = '/provlake';
const ROUTE = /^(?:\/provlake)?\/(prospective|retrospective)-provenance\/?$/;
// Open tasks looked up per run at a cycle begin; a script has a handful (training, epoch, batch).
const OPEN_TASKS_PER_RUN = 100;

export async function handleProvLakeRoute(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: AppDeps,
  principal: Principal = OPEN_PRINCIPAL,
): Promise<boolean> {
  const pathname = pathOf(req);
  const stores = DATA_STORES.exec(pathname);
  if (stores) return handleDataStores(req, res, deps, stores[1]);
  const m = ROUTE.exec(pathname);
  if (!m) {
    if (pathname === PROVLAKE_BASE || pathname.startsWith(`${PROVLAKE_BASE}/`)) {
      return fail(
        res,
        404,
        ErrorCode.NOT_FOUND,
        `no route ${pathname}; ProvLake's API is ${PROVLAKE_BASE}/prospective-provenance, ${PROVLAKE_BASE}/retrospective-provenance and ${PROVLAKE_BASE}/provenance/api/data-stores`,
      );
    }
    return false;
  }
  const prospective = m[1] === 'prospective';
  // The library POSTs both, and retries a failed prospective POST as a PUT.
  if (req.method !== 'POST' && !(prospective && req.method === 'PUT')) {
    return fail(
      res,
      405,
      ErrorCode.BAD_USER_INPUT,
      `use POST${prospective ? ' or PUT' : ''}`,
      {},
      { allow: prospective ? 'POST, PUT' : 'POST' },
    );
  }
  let body: unknown;
  let parsed: PythonJson;
  try {
    parsed = await readJson(req, deps.config.maxBodyBytes);
    body = parsed.value;
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      req.resume();
      return fail(
        res,
        413,
        ErrorCode.LIMIT_EXCEEDED,
        `request body exceeds ${deps.config.maxBodyBytes} bytes; use a smaller bag_size`,
        {},
        { connection: 'close' },
      );
    }
    return fail(res, 400, ErrorCode.BAD_USER_INPUT, `request body is not JSON: ${(err as Error).message}`, { field: 'body' });
  }
  // Python's NaN / Infinity were kept as strings: said in our shape and as the library's
  // warnings (a `W` code, which its with_validation mode logs as a warning, not an error).
  const kept = parsedWarnings(parsed, ' of this body');
  const warnings = kept.map((w) => w.message);
  const warned = kept.map((w) => ({ code: 'W001', type: w.type, explanation: w.message }));
  try {
    if (prospective) {
      const spec = prospectiveToSpec(body);
      const { workflow, created } = await deps.store.registerWorkflow(spec, specHash(spec));
      return send(res, created ? 201 : 200, {
        workflow: workflow.name,
        version: workflow.version,
        created,
        ...(warnings.length ? { warnings } : {}),
        error: warned.length ? [warned] : [],
      });
    }
    const requests = parseRetrospectiveBody(body);
    const nestRuns = runsWithCycles(requests);
    const open = new OpenTasks(nestRuns.length ? (await deps.store.openTasksOfRuns(nestRuns, OPEN_TASKS_PER_RUN)).flat() : []);
    const mapped = mapRequests(requests, Array.isArray(body) ? (i) => `body[${i}]` : () => 'body', open);
    await ensureProvLakeSpecs(mapped.runs, deps);
    const total: IngestResult = {
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      parked: 0,
      duplicateIds: [],
      issues: [],
      parkedEvents: [],
    };
    const step = deps.config.maxBatchEvents;
    for (let from = 0; from < mapped.events.length; from += step) {
      const chunk = mapped.events.slice(from, from + step);
      // A study-limited token writes only its studies' events (deps.store is then the scoped store).
      const r = await ingestWithinStudies(
        chunk.map((e) => e.event),
        deps.store,
        (allowed) =>
          ingestBatch(allowed, {
            store: deps.store,
            catalog: deps.catalog,
            maxBatchEvents: step,
            observer: deps.metrics,
            onCommitted: deps.live?.published,
            parking: deps.parking,
          }),
        { log: deps.log.child({ source: 'audit' }), token: principal.name },
      );
      total.accepted += r.accepted;
      total.duplicates += r.duplicates;
      total.rejected += r.rejected;
      total.parked += r.parked;
      total.parkedEvents.push(...r.parkedEvents.map((p) => ({ ...p, index: from + p.index })));
      total.duplicateIds.push(...r.duplicateIds);
      // Each issue also names the ProvLake request its event came from.
      total.issues.push(...r.issues.map((is) => ({ ...is, index: from + is.index, request: chunk[is.index].request })));
    }
    const errors = total.issues.map((is) => ({
      code: 'E422',
      type: is.code,
      explanation: `request ${(is as { request?: number }).request}: ${is.field}: ${is.message}`,
    }));
    const error = errors.length || warned.length ? [[...warned, ...errors]] : [];
    return send(res, 200, {
      ...total,
      requests: requests.length,
      events: mapped.events.length,
      ...(warnings.length ? { warnings } : {}),
      error,
    });
  } catch (err) {
    if (err instanceof ProvmlError) {
      const status = err.code === ErrorCode.LIMIT_EXCEEDED ? 413 : err.code === ErrorCode.FORBIDDEN ? 403 : 400;
      return fail(res, status, err.code, err.message, err.extensions as Record<string, unknown>);
    }
    throw err;
  }
}
