/**
 * sharedSubscribe (src/live/shared-subscribe.ts): subscribers of one operation that are handed the
 * same event object share one execution, also when they all ask for it in the same microtask
 * drain (as the feeds of one batch window do: they wake together).
 */
import { GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import { sharedSubscribe } from '../../src/live/shared-subscribe';

/** One event source per subscriber, all fed the same objects at the same moment. */
const sources: Array<(event: object) => void> = [];
let executions = 0;

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      tick: {
        type: GraphQLString,
        args: { tag: { type: GraphQLString } },
        subscribe: () => {
          const waiting: Array<(r: IteratorResult<object>) => void> = [];
          sources.push((event) => waiting.shift()?.({ done: false, value: event }));
          const it: AsyncIterableIterator<object> = {
            next: () => new Promise((resolve) => waiting.push(resolve)),
            return: async () => ({ done: true, value: undefined }),
            [Symbol.asyncIterator]() {
              return this;
            },
          };
          return it;
        },
        resolve: (event: { text: string }, args: { tag?: string }) => {
          executions++;
          return `${args.tag ?? ''}${event.text}`;
        },
      },
    },
  }),
});

async function subscribers(n: number, query: string) {
  const document = parse(query);
  const its = [];
  for (let i = 0; i < n; i++) {
    const it = await sharedSubscribe({ schema, document });
    if (!(Symbol.asyncIterator in it)) throw new Error(JSON.stringify(it));
    its.push(it);
  }
  return its;
}

describe('sharedSubscribe', () => {
  beforeEach(() => {
    sources.length = 0;
    executions = 0;
  });

  it('executes an event once for 200 subscribers that pull it at the same moment', async () => {
    const its = await subscribers(200, 'subscription { tick }');
    const pulled = its.map((it) => it.next());
    const event = { text: 'x' };
    for (const feed of sources) feed(event);
    const results = await Promise.all(pulled);
    expect(results.every((r) => !r.done && (r.value as { data: unknown }).data !== undefined)).toBe(true);
    expect(results.map((r) => (r.value as { data: unknown }).data)).toEqual(Array.from({ length: 200 }, () => ({ tick: 'x' })));
    expect(executions).toBe(1);
    // A new event object is a new execution.
    const again = its.map((it) => it.next());
    const second = { text: 'y' };
    for (const feed of sources) feed(second);
    await Promise.all(again);
    expect(executions).toBe(2);
  });

  it('does not share between different operations or variables on the same event', async () => {
    const a = await subscribers(3, 'subscription { tick(tag: "a") }');
    const b = await subscribers(3, 'subscription { tick(tag: "b") }');
    const pulled = [...a, ...b].map((it) => it.next());
    const event = { text: 'x' };
    for (const feed of sources) feed(event);
    const data = (await Promise.all(pulled)).map((r) => (r.value as { data: { tick: string } }).data.tick);
    expect(data).toEqual(['ax', 'ax', 'ax', 'bx', 'bx', 'bx']);
    expect(executions).toBe(2);
  });
});
