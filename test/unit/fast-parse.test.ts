import { EventSchema } from '../../src/ingest/events';
import { fastParse } from '../../src/ingest/fast-parse';

// The hot shapes as capture clients send them.
const BASES: Array<Record<string, unknown>> = [
  { id: 'b1', type: 'taskBegin', task: 'r.b1', run: 'r', transformation: 'batch', parent: 'r.train', time: 1704067200000 },
  { id: 'b2', type: 'taskBegin', task: 't', run: 'r', transformation: 'x', host: 'node-1', status: 'GENERATED' },
  { id: 'e1', type: 'taskEnd', task: 'r.b1', time: 1704067200200.7 },
  { id: 'e2', type: 'taskEnd', task: 't', status: 'FAILED' },
  { id: 'm1', type: 'metric', run: 'r', task: 'r.b1', name: 'loss', value: 0.25, step: 7, context: 'training' },
  { id: 'm2', type: 'metric', run: 'r', name: 'acc', value: -3 },
];

// Odd values for any field: each is either parsed exactly as the schema does, or left to it.
const ODD: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'x'.repeat(100),
  'x'.repeat(101),
  'x'.repeat(200),
  'x'.repeat(201),
  'x'.repeat(501),
  0,
  -0,
  -1,
  1.5,
  2 ** 53,
  8.64e15,
  8.64e15 + 1,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '2024-01-01T00:00:00Z',
  'RUNNING',
  'GENERATED',
  'FINISHED',
  'KILLED',
  'bogus',
  true,
  [],
  {},
  { a: 1 },
];
const FIELDS = [
  'id',
  'type',
  'time',
  'task',
  'run',
  'transformation',
  'parent',
  'host',
  'status',
  'name',
  'value',
  'step',
  'context',
  'used',
  'generated',
  'attributes',
  'extra',
];

function variants(): unknown[] {
  const out: unknown[] = [null, [], 'event', 42];
  for (const base of BASES) {
    out.push(base);
    for (const f of FIELDS) for (const v of ODD) out.push({ ...base, [f]: v });
    for (const f of FIELDS) {
      const without = { ...base };
      delete without[f];
      out.push(without);
    }
  }
  return out;
}

describe('fastParse', () => {
  it('returns what the schema returns, or leaves the event to the schema', () => {
    let taken = 0;
    for (const raw of variants()) {
      const fast = fastParse(raw);
      if (fast === null) continue;
      taken++;
      const schema = EventSchema.safeParse(raw);
      expect({ raw, ok: schema.success }).toEqual({ raw, ok: true });
      expect({ raw, event: fast }).toEqual({ raw, event: schema.data });
    }
    // It must take the common shapes (else it would be a slower no-op).
    expect(taken).toBeGreaterThan(500);
  });

  it('takes every common shape of the hot events', () => {
    for (const base of BASES) expect(fastParse(base)).not.toBeNull();
  });

  it('leaves value maps, time strings and unknown types to the schema', () => {
    expect(fastParse({ ...BASES[0], used: { lr: 0.1 } })).toBeNull();
    expect(fastParse({ ...BASES[2], generated: { model: { $ref: '/m' } } })).toBeNull();
    expect(fastParse({ ...BASES[0], time: '2024-01-01T00:00:00Z' })).toBeNull();
    expect(fastParse({ id: 'w', type: 'workflowBegin', run: 'r', workflow: 'w' })).toBeNull();
  });
});
