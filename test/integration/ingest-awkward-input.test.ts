import { createTestApp, type TestApp } from '../helpers/app';

const INGEST = `mutation($e: [JSON!]!) { ingest(events: $e) { accepted duplicates rejected issues { index eventId field code message } } }`;
const REGISTER = `mutation($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { version } }`;

interface Issue {
  index: number;
  eventId: string | null;
  field: string;
  code: string;
  message: string;
}
interface IngestAnswer {
  ingest: { accepted: number; duplicates: number; rejected: number; issues: Issue[] };
}

describe('ingest of awkward input (PostgreSQL)', () => {
  let app: TestApp;
  const ingest = (e: unknown[]) => app.run<IngestAnswer>(INGEST, { e });
  const taskStatus = async (id: string) =>
    (await app.run<{ task: { status: string } | null }>(`query($id: String!) { task(id: $id) { status } }`, { id })).data!.task
      ?.status;
  const metricCount = async (run: string) => {
    const res = await app.deps.store.metricsOfRun(run, { first: 1000, after: null });
    return res.items.length;
  };

  beforeAll(async () => {
    app = await createTestApp();
    const reg = await app.run(REGISTER, { s: { name: 'awk', transformations: [{ name: 'epoch' }, { name: 'batch' }] } });
    expect(reg.errors).toBeUndefined();
  });
  afterAll(() => app?.close());

  describe('events that name a run or task from an earlier batch', () => {
    beforeAll(async () => {
      const first = await ingest([
        { id: 'e-wb', type: 'workflowBegin', run: 'awk-old', workflow: 'awk' },
        { id: 'e-t1', type: 'taskBegin', task: 'old-t1', run: 'awk-old', transformation: 'epoch' },
        { id: 'e-t2', type: 'taskBegin', task: 'old-t2', run: 'awk-old', transformation: 'batch', parent: 'old-t1' },
        { id: 'e-t3', type: 'taskBegin', task: 'old-t3', run: 'awk-old', transformation: 'batch', parent: 'old-t1' },
      ]);
      expect(first.data!.ingest.accepted).toBe(4);
    });

    it('a batch of taskEnd events only lands', async () => {
      const res = await ingest([
        { id: 'e-t2-end', type: 'taskEnd', task: 'old-t2', generated: { loss: 0.5 } },
        { id: 'e-t1-end', type: 'taskEnd', task: 'old-t1', status: 'FAILED' },
      ]);
      expect(res.errors).toBeUndefined();
      expect(res.data!.ingest).toMatchObject({ accepted: 2, rejected: 0, issues: [] });
      expect(await taskStatus('old-t2')).toBe('FINISHED');
      expect(await taskStatus('old-t1')).toBe('FAILED');
    });

    it('a taskEnd of an earlier batch lands beside a new run', async () => {
      const res = await ingest([
        { id: 'e-new-wb', type: 'workflowBegin', run: 'awk-new', workflow: 'awk' },
        { id: 'e-t3-end', type: 'taskEnd', task: 'old-t3' },
      ]);
      expect(res.data!.ingest).toMatchObject({ accepted: 2, rejected: 0 });
      expect(await taskStatus('old-t3')).toBe('FINISHED');
    });

    it('a taskEnd before a taskBegin of the same id later in the batch still finds the stored task', async () => {
      await ingest([{ id: 'e-t4', type: 'taskBegin', task: 'old-t4', run: 'awk-old', transformation: 'batch' }]);
      const res = await ingest([
        { id: 'e-t4-end', type: 'taskEnd', task: 'old-t4' },
        { id: 'e-t4-again', type: 'taskBegin', task: 'old-t4', run: 'awk-old', transformation: 'batch' },
      ]);
      expect(res.data!.ingest).toMatchObject({ accepted: 2, rejected: 0 });
      expect(await taskStatus('old-t4')).toBe('FINISHED');
    });

    // A client that lost the answer to its begin resends it, under a new event id (ProvLake's
    // library makes ids from the clock), in the same batch as the end.
    it('a begin resent under a new id with its end, for a task already running, ends the task', async () => {
      await ingest([{ id: 'e-t5', type: 'taskBegin', task: 'old-t5', run: 'awk-old', transformation: 'batch' }]);
      const res = await ingest([
        { id: 'e-t5-resent', type: 'taskBegin', task: 'old-t5', run: 'awk-old', transformation: 'batch' },
        { id: 'e-t5-end', type: 'taskEnd', task: 'old-t5', status: 'FAILED', generated: { loss: 0.25 } },
      ]);
      expect(res.data!.ingest).toMatchObject({ accepted: 2, rejected: 0 });
      expect(await taskStatus('old-t5')).toBe('FAILED');
    });

    it('a workflowBegin resent under a new id with its end, for a run already running, ends the run', async () => {
      await ingest([{ id: 'e-r6', type: 'workflowBegin', run: 'awk-r6', workflow: 'awk' }]);
      const res = await ingest([
        { id: 'e-r6-resent', type: 'workflowBegin', run: 'awk-r6', workflow: 'awk' },
        { id: 'e-r6-end', type: 'workflowEnd', run: 'awk-r6', status: 'FINISHED' },
      ]);
      expect(res.data!.ingest).toMatchObject({ accepted: 2, rejected: 0 });
      const run = await app.run<{ execution: { status: string } | null }>(
        `query($id: String!) { execution(id: $id) { status } }`,
        { id: 'awk-r6' },
      );
      expect(run.errors).toBeUndefined();
      expect(run.data!.execution?.status).toBe('FINISHED');
    });
  });

  describe('one bad value is rejected alone, naming its field; the rest of the batch lands', () => {
    let n = 0;
    beforeAll(async () => {
      const res = await ingest([{ id: 'bad-wb', type: 'workflowBegin', run: 'awk-bad', workflow: 'awk' }]);
      expect(res.data!.ingest.accepted).toBe(1);
    });

    const deep = (levels: number): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < levels; i++) v = [v];
      return v;
    };
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['a NUL in an event id', { id: 'nul\u0000id', type: 'metric', run: 'awk-bad', name: 'x', value: 1 }, 'id', /NUL/],
      ['a NUL in a metric name', { type: 'metric', run: 'awk-bad', name: 'lo\u0000ss', value: 1 }, 'name', /NUL/],
      ['a NUL in a run id', { type: 'workflowBegin', run: 'r\u0000', workflow: 'awk' }, 'run', /NUL/],
      ['a NUL in a value name', { type: 'values', run: 'awk-bad', used: { 'a\u0000b': 1 } }, 'used["a\\u0000b"]', /NUL/],
      [
        'a NUL in a nested value',
        { type: 'values', run: 'awk-bad', used: { cfg: { layers: [1, { act: 're\u0000lu' }] } } },
        'used.cfg.layers[1].act',
        /NUL/,
      ],
      [
        'a NUL in a nested key',
        { type: 'workflowEnd', run: 'awk-bad-other', attributes: { env: { 'PA\u0000TH': '/bin' } } },
        'attributes.env["PA\\u0000TH"]',
        /NUL/,
      ],
      ['a NUL in a host', { type: 'telemetry', run: 'awk-bad', host: 'gpu\u000001' }, 'host', /NUL/],
      ['a lone surrogate in an id', { id: 'sur\ud800', type: 'metric', run: 'awk-bad', name: 'x', value: 1 }, 'id', /surrogate/],
      [
        'a lone surrogate in a value',
        { type: 'values', run: 'awk-bad', generated: { note: 'a\udc00b' } },
        'generated.note',
        /surrogate/,
      ],
      [
        'a value nested 5,000 levels deep',
        { type: 'values', run: 'awk-bad', used: { deep: deep(5000) } },
        `used.deep${'[0]'.repeat(63)}`,
        /nested deeper than 64/,
      ],
      ['an rss beyond bigint', { type: 'telemetry', run: 'awk-bad', rss: 1e300 }, 'rss', /9007199254740991/],
      [
        'a GPU memory beyond bigint',
        { type: 'telemetry', run: 'awk-bad', gpu: [{ index: 0, memoryUsed: 2e19 }] },
        'gpu[0].memoryUsed',
        /9007199254740991/,
      ],
      ['an infinite cpu percentage', { type: 'telemetry', run: 'awk-bad', cpu: Infinity }, 'cpu', /finite|Infinity/],
      ['an infinite value (1e400 in JSON)', { type: 'values', run: 'awk-bad', used: { lr: Infinity } }, 'used.lr', /finite/],
      [
        'an infinite GPU power',
        { type: 'telemetry', run: 'awk-bad', gpu: [{ index: 0, power: Infinity }] },
        'gpu[0].power',
        /finite|Infinity/,
      ],
      [
        'a workflow version beyond integer',
        { type: 'workflowBegin', run: 'r-v', workflow: 'awk', version: 1e10 },
        'version',
        /2147483647/,
      ],
      [
        'a time beyond any date',
        { type: 'metric', run: 'awk-bad', name: 'x', value: 1, time: 1e300 },
        'time',
        /8640000000000000/,
      ],
    ];

    it.each(cases)('%s', async (_name, bad, field, message) => {
      n++;
      const run = 'awk-bad';
      const before = await metricCount(run);
      const res = await ingest([
        { id: `ok-${n}-a`, type: 'metric', run, name: 'ok', value: 1 },
        { id: `bad-${n}`, ...bad },
        { id: `ok-${n}-b`, type: 'metric', run, name: 'ok', value: 2 },
      ]);
      expect(res.errors).toBeUndefined();
      expect(res.data!.ingest).toMatchObject({ accepted: 2, rejected: 1 });
      const [issue] = res.data!.ingest.issues;
      expect(issue).toMatchObject({ index: 1, code: 'BAD_USER_INPUT', field: `events[1].${field}` });
      expect(issue.message).toMatch(message);
      expect(await metricCount(run)).toBe(before + 2);
    });
  });
});
