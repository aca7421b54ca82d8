export interface BatchOutcome {
  accepted: number;
  duplicates: number;
  rejected: number;
  duplicateIds: string[];
  issues: Array<{ index: number; eventId: string | null; field: string; code: string; message: string }>;
}

export const INGEST_MUTATION =
  'mutation Ingest($events: [JSON!]!) { ingest(events: $events) { accepted duplicates rejected duplicateIds issues { index eventId field code message } } }';

export class IngestHttpError extends Error {
  constructor(message: string, readonly status: number | null, readonly retryable: boolean) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends one batch; retries network errors, 429 and 5xx with exponential backoff (honouring
 * Retry-After). Event ids make every retry harmless: a batch that landed before the answer was
 * lost comes back as duplicates.
 */
export async function postIngest(url: string, events: unknown[], opts: { retries?: number; baseDelayMs?: number; timeoutMs?: number } = {}): Promise<BatchOutcome> {
  const retries = opts.retries ?? 8;
  let delay = opts.baseDelayMs ?? 200;
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(url, events, opts.timeoutMs ?? 30_000);
    } catch (err) {
      const e = err instanceof IngestHttpError ? err : new IngestHttpError((err as Error).message, null, true);
      if (!e.retryable || attempt >= retries) throw e;
      const retryAfter = (e as IngestHttpError & { retryAfterMs?: number }).retryAfterMs;
      await sleep(retryAfter ?? delay);
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

async function postOnce(url: string, events: unknown[], timeoutMs: number): Promise<BatchOutcome> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: INGEST_MUTATION, variables: { events } }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (res.status === 429 || res.status >= 500) {
    const err = new IngestHttpError(`server answered ${res.status}`, res.status, true) as IngestHttpError & { retryAfterMs?: number };
    const ra = Number(res.headers.get('retry-after'));
    if (Number.isFinite(ra) && ra >= 0) err.retryAfterMs = ra * 1000;
    throw err;
  }
  let body: { data?: { ingest?: BatchOutcome }; errors?: Array<{ message: string }> };
  try {
    body = JSON.parse(text);
  } catch {
    throw new IngestHttpError(`server answered ${res.status} with a body that is not JSON`, res.status, false);
  }
  if (body.errors?.length || !body.data?.ingest) {
    throw new IngestHttpError(`server refused the batch: ${body.errors?.map((e) => e.message).join('; ') ?? 'no data'}`, res.status, false);
  }
  return body.data.ingest;
}
