import { createSourceEventStream, execute, print, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * graphql-js's `subscribe`, with each event's execution shared among the subscribers that run
 * the same document with the same variables. The live feeds hand every subscriber that keeps up
 * the very same message objects (LiveHub.shared), so with 200 dashboards on one run a metric
 * batch is executed once, not 200 times: execution was the cost that grew with subscribers.
 * Results are keyed by the event object (a WeakMap: they go when the message goes) and by the
 * operation's text and variables; provml's subscription payloads do not depend on the context.
 */
const docKeys = new WeakMap<DocumentNode, string>();
const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

const MAX_SHARED_RESULTS_PER_EVENT = 64;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const asValue = (value: ExecutionResult): IteratorYieldResult<ExecutionResult> => ({ done: false, value });

export async function sharedSubscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const events = stream as AsyncIterableIterator<unknown>;
  let doc = docKeys.get(args.document);
  if (doc === undefined) docKeys.set(args.document, (doc = print(args.document)));
  const key = `${doc}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;

  // The execution is cached as a promise, before it settles: the feeds of one window wake in the
  // same microtask drain and reach run() interleaved, so a result cached only once awaited was
  // missed by the subscribers that came in between (a quarter of 200 executed it again).
  const run = (event: unknown): Promise<ExecutionResult> => {
    if (typeof event !== 'object' || event === null)
      return Promise.resolve(execute({ ...args, rootValue: event }) as ExecutionResult);
    let byOp = results.get(event);
    const hit = byOp?.get(key);
    if (hit) return hit;
    const result = Promise.resolve(execute({ ...args, rootValue: event }) as ExecutionResult | Promise<ExecutionResult>);
    if (!byOp) results.set(event, (byOp = new Map()));
    if (byOp.size < MAX_SHARED_RESULTS_PER_EVENT) byOp.set(key, result);
    return result;
  };
  // Written out (not an async generator) so that return() reaches the feed at once, even while
  // a next() waits on it; and with no async function or closure per message (200 subscribers
  // pull one each a window).
  const step = (r: IteratorResult<unknown>): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> =>
    r.done ? DONE : run(r.value).then(asValue);
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    next: () => events.next().then(step),
    return: async () => {
      await events.return?.();
      return DONE;
    },
    throw: async (err?: unknown) => {
      await events.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return mapped;
}
