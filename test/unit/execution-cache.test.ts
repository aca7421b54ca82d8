import { ExecutionCache } from '../../src/ingest/execution-cache';
import type { IngestEvent } from '../../src/ingest/events';
import type { ResolvedEvent } from '../../src/ingest/resolve-batch';
import type { CatalogEntry } from '../../src/ingest/spec-catalog';

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

  it('records each task a batch began and left running, with its own run, transformation and workflow', () => {
    const cache = new ExecutionCache();
    const entry = (workflowId: string) => ({ workflow: { id: workflowId } }) as unknown as CatalogEntry;
    const begin = (task: string, run: string, transformationId: string, workflowId: string): ResolvedEvent => ({
      index: 0,
      event: { id: `${task}:b`, type: 'taskBegin', task, run, transformation: 'x', status: 'RUNNING' } as IngestEvent,
      entry: entry(workflowId),
      transformationId,
      runId: run,
    });
    // Runs and transformations interleaved, as in a batch of two jobs' events.
    const batch = [
      begin('a1', 'ra', '1', 'w1'),
      begin('a2', 'ra', '1', 'w1'),
      begin('b1', 'rb', '1', 'w1'),
      begin('a3', 'ra', '2', 'w1'),
      begin('c1', 'rc', '2', 'w9'),
      begin('a4', 'ra', '1', 'w1'),
      {
        index: 0,
        event: { id: 'wb', type: 'workflowBegin', run: 'rd', workflow: 'x' } as IngestEvent,
        entry: entry('w3'),
        runId: 'rd',
      },
      // Begun and ended in the batch: not kept (a later batch seldom names it; a miss asks the store).
      begin('done', 'ra', '1', 'w1'),
      { index: 0, event: { id: 'done:e', type: 'taskEnd', task: 'done', status: 'FINISHED' } as IngestEvent, runId: 'ra' },
    ];
    cache.addBegun(batch);
    expect(cache.task('done')).toBeUndefined();
    expect(['a1', 'a2', 'b1', 'a3', 'c1', 'a4'].map((t) => cache.task(t))).toEqual([
      { runId: 'ra', transformationId: '1', workflowId: 'w1' },
      { runId: 'ra', transformationId: '1', workflowId: 'w1' },
      { runId: 'rb', transformationId: '1', workflowId: 'w1' },
      { runId: 'ra', transformationId: '2', workflowId: 'w1' },
      { runId: 'rc', transformationId: '2', workflowId: 'w9' },
      { runId: 'ra', transformationId: '1', workflowId: 'w1' },
    ]);
    expect(cache.runWorkflow('rd')).toBe('w3');
  });
});
