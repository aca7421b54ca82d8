import type { LiveMetricPoint } from '../../src/ingest/live-changes';
import { deltaRuns, metricMessages, seriesOf, undoDeltaRuns } from '../../src/live/live-messages';

const t = (ms: number) => new Date(Date.UTC(2026, 11, 7) + ms).toISOString();

describe('MetricBatch.series', () => {
  it('groups points per name, context and task in order of first appearance, each in ingest order', () => {
    const tuples: LiveMetricPoint[] = [
      ['loss', 0.5, 1, 'TRAINING', 't1', t(1000)],
      ['acc', 0.1, 1, 'TRAINING', 't1', t(1000)],
      ['loss', 0.4, 2, 'TRAINING', 't1', t(3000)],
      ['loss', 0.7, null, 'VALIDATION', 't1', t(500)],
      ['loss', 0.3, 3, 'TRAINING', 't1', t(2500)],
    ];
    expect(seriesOf(tuples)).toEqual([
      {
        name: 'loss',
        context: 'TRAINING',
        taskId: 't1',
        steps: [1, 2, 3],
        values: [0.5, 0.4, 0.3],
        startMs: Date.parse(t(1000)),
        offsetsMs: [0, 2000, 1500],
      },
      { name: 'acc', context: 'TRAINING', taskId: 't1', steps: [1], values: [0.1], startMs: Date.parse(t(1000)), offsetsMs: [0] },
      {
        name: 'loss',
        context: 'VALIDATION',
        taskId: 't1',
        steps: [null],
        values: [0.7],
        startMs: Date.parse(t(500)),
        offsetsMs: [0],
      },
    ]);
  });

  it('keeps the name filter, and gives points and series of the same batch', () => {
    const rows = [
      {
        stream: 'run:r',
        seq: 4,
        payload: {
          metrics: [['loss', 1, 1, null, null, t(0)] as LiveMetricPoint, ['acc', 2, 1, null, null, t(0)] as LiveMetricPoint],
        },
      },
    ];
    const [batch] = metricMessages('r', new Set(['loss']))(rows);
    expect(batch.cursor).toBe('4');
    expect(batch.points).toEqual([
      { name: 'loss', value: 1, step: '1', context: null, taskId: null, recordedAt: new Date(t(0)) },
    ]);
    expect(batch.series.map((s) => s.name)).toEqual(['loss']);
    expect(metricMessages('r', new Set(['other']))(rows)).toEqual([]);
  });
});

describe('MetricSeries compact fields (delta runs)', () => {
  const cases: Array<Array<number | null>> = [
    [],
    [1, 2, 3, 4, 5],
    [0, 10, 20, 30, 31, 32, 1000, 1001],
    [null, null, 3, null, 4, 5],
    [5, 5, 5, -2, -9007199254740991, 9007199254740991, 0, -9007199254740991, 9007199254740990],
    [0.1, 0.2, 0.30000000000000004, 7],
  ];
  it.each(cases)('gives the items back exactly (%#)', (...xs) => {
    expect(undoDeltaRuns(deltaRuns(xs))).toEqual(xs);
  });

  it('is one pair for a run of steps, and a pair a commit for its shared time', () => {
    expect(deltaRuns(Array.from({ length: 3000 }, (_, i) => i + 1))).toEqual([1, 3000]);
    expect(deltaRuns([7, 7, 7, 9, 9])).toEqual([7, 1, 0, 2, 2, 1, 0, 1]);
    expect(deltaRuns([null, null, 3])).toEqual([null, 2, 3, 1]);
  });

  it('makes them from the batch, lazily, beside the plain arrays', () => {
    const tuples: LiveMetricPoint[] = Array.from({ length: 50 }, (_, i) => [
      'loss',
      i / 3,
      100 + i,
      null,
      null,
      1_765_000_000_000 + (i < 25 ? 0 : 40),
    ]);
    const [s] = seriesOf(tuples) as Array<{ stepDeltaRuns: unknown; timeDeltaRunsMs: unknown; steps: number[] }>;
    expect(s.stepDeltaRuns).toEqual([100, 1, 1, 49]);
    expect(s.timeDeltaRunsMs).toEqual([1_765_000_000_000, 1, 0, 24, 40, 1, 0, 24]);
    expect(s.steps).toHaveLength(50);
  });
});
