import type { LiveMetricPoint } from '../../src/ingest/live-changes';
import { metricMessages, seriesOf } from '../../src/live/live-messages';

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
