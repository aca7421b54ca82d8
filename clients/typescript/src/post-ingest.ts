import type { JsonValue } from './ingest-event';
import { HttpTransport, isBatchOutcome, type BatchOutcome, type OutcomeKind } from './ingest-transport';

export { INGEST_MUTATION, type BatchOutcome } from './ingest-transport';

/** A batch the server did not take: `kind` says whether it was too large or refused for good. */
export class IngestHttpError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly kind: Exclude<OutcomeKind, 'ack'>,
  ) {
    super(message);
    this.name = 'IngestHttpError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends one batch and waits for its answer; retries network errors, 429 and 5xx with
 * exponential backoff (honouring Retry-After). Event ids make every retry harmless: a batch
 * that landed before the answer was lost comes back as duplicates.
 */
export async function postIngest(
  url: string,
  events: readonly JsonValue[],
  opts: {
    retries?: number;
    /** Retries when no answer came at all (default: `retries`); 0 fails at once on an unreachable server. */
    networkRetries?: number;
    baseDelayMs?: number;
    timeoutMs?: number;
    /** API token (Authorization: Bearer) when no transport is given. */
    token?: string;
    transport?: HttpTransport;
  } = {},
): Promise<BatchOutcome> {
  const transport = opts.transport ?? new HttpTransport(url, { timeoutMs: opts.timeoutMs ?? 30_000, token: opts.token });
  const retries = opts.retries ?? 8;
  const networkRetries = opts.networkRetries ?? retries;
  let delay = opts.baseDelayMs ?? 200;
  for (let attempt = 0; ; attempt++) {
    const outcome = await transport.sendEvents(events);
    const data: unknown = outcome.data;
    if (outcome.kind === 'ack' && isBatchOutcome(data)) {
      return { ...data, duplicateIds: data.duplicateIds ?? [], issues: data.issues ?? [] };
    }
    const noAnswer = outcome.kind === 'retry' && outcome.status === undefined;
    if (outcome.kind !== 'retry' || attempt >= (noAnswer ? networkRetries : retries)) {
      throw new IngestHttpError(
        noAnswer ? outcome.reason.replace(/^network: /, '') : `server did not take the batch: ${outcome.reason}`,
        outcome.status ?? null,
        outcome.kind === 'ack' ? 'fatal' : outcome.kind,
      );
    }
    await sleep(outcome.retryAfterMs ?? delay);
    delay = Math.min(delay * 2, 30_000);
  }
}
