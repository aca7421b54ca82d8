import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { z } from 'zod';
import type { DeclaredDataStoreRow } from '../../connectors/provenance/rows';
import type { AppDeps } from '../../context';
import { ErrorCode } from '../../errors';
import { BodyTooLarge, fail, readJson, send } from './provlake-http';

/**
 * ProvLake's data store catalog (prospective/data_store_catalog.py, routes of utils/constants.py
 * `Routes.SERVER_API_ROOT + Routes.DATA_STORES`):
 *   POST {service_url}/provenance/api/data-stores        DataStoreObj.as_dict(): {id, name, type,
 *        [custom_metadata], [url, bucket | host_address]}; the library asserts 201 and returns the JSON
 *   GET  {service_url}/provenance/api/data-stores        a list, each with `hkg_id` (tests/test_prospective)
 *   GET  {service_url}/provenance/api/data-stores/<id>   one, or 404
 * A declaration is kept as written (a PROV-ML DataStoreInstance whose id data references name in
 * `data_store_id`). Declaring the same id again with the same body answers 201 again (a re-run
 * script must not fail); with another body, 409: a declaration is never changed.
 */
export const DATA_STORES = /^(?:\/provlake)?\/provenance\/api\/data-stores(?:\/([^/]+))?\/?$/;
const MAX_LISTED = 10_000;

const Declaration = z
  .object({
    id: z.string().min(1).max(200).nullish(),
    name: z.string().min(1).max(500),
    type: z.string().min(1).max(100),
  })
  .passthrough();

const view = (r: DeclaredDataStoreRow) => ({ ...r.attributes, id: r.id, name: r.name, type: r.type, hkg_id: r.id });
/** JSON with sorted keys: jsonb gives keys back in its own order. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );

export async function handleDataStores(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: AppDeps,
  encodedId: string | undefined,
): Promise<true> {
  if (encodedId !== undefined) {
    if (req.method !== 'GET') return fail(res, 405, ErrorCode.BAD_USER_INPUT, 'use GET', {}, { allow: 'GET' });
    let id: string;
    try {
      id = decodeURIComponent(encodedId);
    } catch {
      return fail(res, 400, ErrorCode.BAD_USER_INPUT, 'the data store id is not valid percent-encoding', { field: 'id' });
    }
    const row = await deps.store.declaredDataStoreById(id);
    return row ? send(res, 200, view(row)) : fail(res, 404, ErrorCode.NOT_FOUND, `data store not found: ${id}`, { id });
  }
  if (req.method === 'GET') return send(res, 200, (await deps.store.declaredDataStores(MAX_LISTED)).map(view));
  if (req.method !== 'POST') return fail(res, 405, ErrorCode.BAD_USER_INPUT, 'use GET or POST', {}, { allow: 'GET, POST' });

  let body: unknown;
  try {
    body = (await readJson(req, deps.config.maxBodyBytes)).value;
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      req.resume();
      return fail(
        res,
        413,
        ErrorCode.LIMIT_EXCEEDED,
        `request body exceeds ${deps.config.maxBodyBytes} bytes`,
        {},
        { connection: 'close' },
      );
    }
    return fail(res, 400, ErrorCode.BAD_USER_INPUT, `request body is not JSON: ${(err as Error).message}`, { field: 'body' });
  }
  const parsed = Declaration.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ field: ['body', ...i.path].join('.'), message: i.message }));
    return fail(res, 400, ErrorCode.BAD_USER_INPUT, `invalid data store at ${problems[0].field}: ${problems[0].message}`, {
      field: problems[0].field,
      problems,
    });
  }
  const { id, name, type, ...attributes } = parsed.data;
  // DataStoreObj makes the same kind of id when none is given.
  const row: DeclaredDataStoreRow = { id: id ?? `ds_${randomUUID().replace(/-/g, '_')}`, name, type, attributes };
  const stored = await deps.store.declareDataStore(row);
  if (!stored.created && canonical({ ...stored.row, createdAt: undefined }) !== canonical(row)) {
    return fail(
      res,
      409,
      ErrorCode.BAD_USER_INPUT,
      `data store ${row.id} is already declared with other values; a declaration is never changed`,
      { field: 'body.id', declared: view(stored.row) },
    );
  }
  return send(res, 201, { ...view(stored.row), data_store_hkg_id: stored.row.id });
}
