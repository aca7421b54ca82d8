import { ExecutionCache } from '../../src/ingest/execution-cache';

describe('ExecutionCache', () => {
  const facts = (i: number) => ({ runId: `r${i}`, transformationId: '1', workflowId: '2' });

  it('keeps the newest entries within its bound and forgets the oldest', () => {
    const cache = new ExecutionCache(10);
    for (let i = 0; i < 100; i++) cache.addTask(`t${i}`, facts(i));
    expect(cache.task('t99')).toEqual(facts(99));
    expect(cache.task('t95')).toEqual(facts(95));
    expect(cache.task('t0')).toBeUndefined();
    expect(cache.task('t50')).toBeUndefined();
    let kept = 0;
    for (let i = 0; i < 100; i++) if (cache.task(`t${i}`)) kept++;
    expect(kept).toBeGreaterThanOrEqual(5);
    expect(kept).toBeLessThanOrEqual(10);
  });

  it('keeps an entry that is still being read through a turn-over', () => {
    const cache = new ExecutionCache(4);
    cache.addRun('hot', 'w1');
    for (let i = 0; i < 50; i++) {
      cache.addRun(`cold${i}`, 'w2');
      expect(cache.runWorkflow('hot')).toBe('w1');
    }
  });
});
