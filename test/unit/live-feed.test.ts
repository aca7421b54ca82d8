import type { LiveChangeRow } from '../../src/connectors/provenance/pg-live-log';
import { LiveFeed, windowClock } from '../../src/live/live-feed';
import { joinAfter, parseCursor, seenItem } from '../../src/live/live-cursor';
import { metricMessages, runEventMessages } from '../../src/live/live-messages';

const change = (seq: number, points: number, name = 'loss'): LiveChangeRow => ({
  stream: 'run:r',
  seq,
  payload: {
    metrics: Array.from({ length: points }, (_, i) => [name, i, seq * 1000 + i, null, null, '2026-01-01T00:00:00.000Z']),
  },
});

describe('live feed (one subscription)', () => {
  it('drops a subscriber whose backlog passes maxPending, once, and ends its stream', async () => {
    let dropped = 0;
    let left = 0;
    const feed = new LiveFeed({ maxPending: 100, batchMs: 0, toMessages: (r) => r, onOverflow: () => dropped++ });
    feed.attach(() => left++);
    feed.push([change(1, 160)]); // one commit bigger than the bound: no backlog yet
    expect(dropped).toBe(0);
    feed.push([change(2, 60)]);
    expect(dropped).toBe(1);
    expect(left).toBe(1);
    feed.push([change(3, 60)]);
    expect(dropped).toBe(1);
    expect(await feed.next()).toEqual({ done: true, value: undefined });
  });

  it('keeps a subscriber that is waiting for its next message, however much lands meanwhile', async () => {
    const feed = new LiveFeed({
      maxPending: 100,
      batchMs: 50,
      toMessages: metricMessages('r', null),
      onOverflow: () => fail('dropped'),
    });
    feed.push([change(1, 10)]);
    await feed.next();
    const next = feed.next(); // waits out the batch window
    const at = Date.now();
    for (let s = 2; s < 10; s++) feed.push([change(s, 60)], false, at);
    expect(((await next).value as { points: unknown[] }).points).toHaveLength(480);
    await feed.return();
  });

  it('lets a replay page in past maxPending (it is paced), and says when there is room again', async () => {
    const feed = new LiveFeed({ maxPending: 100, batchMs: 0, toMessages: (r) => r, onOverflow: () => fail('dropped') });
    feed.push([change(1, 500)], true);
    let room = false;
    void feed.room().then(() => (room = true));
    await Promise.resolve();
    expect(room).toBe(false);
    expect((await feed.next()).value).toMatchObject({ seq: 1 });
    await new Promise((r) => setImmediate(r));
    expect(room).toBe(true);
  });

  it('sends the changes that land within batchMs as one message', async () => {
    const feed = new LiveFeed({
      maxPending: 10_000,
      batchMs: 100,
      toMessages: metricMessages('r', null),
      onOverflow: () => undefined,
    });
    feed.push([change(1, 2)]);
    const first = await feed.next(); // the first message goes at once
    expect(first.value).toMatchObject({ cursor: '1' });
    feed.push([change(2, 2)]);
    feed.push([change(3, 2)]);
    const second = await feed.next();
    expect(second.value).toMatchObject({ cursor: '3' });
    expect((second.value as { points: unknown[] }).points).toHaveLength(4);
    await feed.return();
  });

  it('wakes every feed of a window with one timer, and a push during the wait sets none', async () => {
    const feeds = Array.from(
      { length: 200 },
      () => new LiveFeed({ maxPending: 10_000, batchMs: 200, toMessages: (r) => [r], onOverflow: () => undefined }),
    );
    const at = Date.now();
    for (const f of feeds) f.push([change(1, 2)], false, at);
    const timers = jest.spyOn(global, 'setTimeout');
    try {
      const next = feeds.map((f) => f.next());
      await new Promise((r) => setImmediate(r));
      for (const f of feeds) f.push([change(2, 2)], false, at); // same window: no new wait
      await new Promise((r) => setImmediate(r));
      // One timer for the 200 (there was one each, set again at each push).
      expect(timers.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms > 0)).toHaveLength(1);
      const got = await Promise.all(next);
      expect(Date.now()).toBeGreaterThanOrEqual((Math.floor(at / 200) + 1) * 200);
      // Both changes, in one message, to every feed.
      for (const g of got) expect((g.value as LiveChangeRow[]).map((r) => r.seq)).toEqual([1, 2]);
    } finally {
      timers.mockRestore();
    }
  });

  it('answers a second next() after the first, in order', async () => {
    const feed = new LiveFeed({ maxPending: 10_000, batchMs: 0, toMessages: (r) => r, onOverflow: () => undefined });
    const first = feed.next();
    const second = feed.next();
    feed.push([change(1, 1), change(2, 1)]);
    expect((await first).value).toMatchObject({ seq: 1 });
    expect((await second).value).toMatchObject({ seq: 2 });
    await feed.return();
  });

  it('ends a feed that waits for its window at once, and its window still closes for the others', async () => {
    const mk = () => new LiveFeed({ maxPending: 10_000, batchMs: 300, toMessages: (r) => [r], onOverflow: () => undefined });
    const [a, b] = [mk(), mk()];
    const at = Date.now();
    a.push([change(1, 1)], false, at);
    b.push([change(1, 1)], false, at);
    const na = a.next();
    const nb = b.next();
    await new Promise((r) => setImmediate(r));
    const t0 = Date.now();
    await a.return();
    expect(await na).toEqual({ done: true, value: undefined });
    expect(Date.now() - t0).toBeLessThan(100);
    expect((await nb).value).toHaveLength(1);
    expect(windowClock.timers).toBe(0);
  });
});

describe('live cursors', () => {
  it('resumes inside a change after an event cursor, and after a whole change otherwise', () => {
    expect(joinAfter(parseCursor('7'))).toBe(7);
    expect(joinAfter(parseCursor('7.2'))).toBe(6);
    expect(joinAfter(parseCursor(null))).toBeNull();
    const c = parseCursor('7.1');
    expect([seenItem(c, 6, 9), seenItem(c, 7, 1), seenItem(c, 7, 2), seenItem(c, 8, 0)]).toEqual([true, true, false, false]);
    const rows: LiveChangeRow[] = [
      {
        stream: 'run:r',
        seq: 7,
        payload: {
          events: ['a', 'b', 'c'].map((t) => ({ kind: 'TASK_BEGUN', task: t, status: 'RUNNING', at: '2026-01-01T00:00:00Z' })),
        },
      },
    ];
    expect(runEventMessages('r', c)(rows).map((e) => [e.cursor, e.task])).toEqual([['7.2', 'c']]);
  });

  it('refuses what it did not give out', () => {
    for (const bad of ['', 'x', '1.2.3', '-1', '1e5']) expect(() => parseCursor(bad)).toThrow(/not a cursor/);
  });
});

describe('live log times', () => {
  it('reads epoch milliseconds (written since migration 014) and ISO text (older rows) as the same instant', () => {
    const ms = Date.parse('2026-01-01T00:00:01.250Z');
    const rows: LiveChangeRow[] = [
      {
        stream: 'run:r',
        seq: 1,
        payload: {
          events: [{ kind: 'TASK_BEGUN', task: 'a', status: 'RUNNING', at: '2026-01-01T00:00:01.250Z' }],
          metrics: [['loss', 1, 0, null, null, '2026-01-01T00:00:01.250Z']],
        },
      },
      {
        stream: 'run:r',
        seq: 2,
        payload: {
          events: [{ kind: 'TASK_ENDED', task: 'a', status: 'FINISHED', at: ms }],
          metrics: [['loss', 2, 1, null, null, ms]],
        },
      },
    ];
    expect(runEventMessages('r', null)(rows).map((m) => m.at.getTime())).toEqual([ms, ms]);
    expect(metricMessages('r', null)(rows)[0].points.map((p) => p.recordedAt.getTime())).toEqual([ms, ms]);
  });
});

describe('live log run events', () => {
  it('reads tuples (written since 2026-12-08) and objects (older rows) as the same messages, cursors included', () => {
    const at = Date.parse('2026-01-01T00:00:01.250Z');
    const objects: LiveChangeRow = {
      stream: 'run:r',
      seq: 3,
      payload: {
        events: [
          { kind: 'RUN_STARTED', status: 'RUNNING', at },
          { kind: 'TASK_BEGUN', task: 't', transformation: 'epoch', status: 'RUNNING', at },
          { kind: 'TASK_ENDED', task: 't', status: 'FAILED', at: '2026-01-01T00:00:01.250Z' },
        ],
      },
    };
    const tuples: LiveChangeRow = {
      stream: 'run:r',
      seq: 3,
      payload: {
        events: [
          ['RUN_STARTED', null, null, 'RUNNING', at],
          ['TASK_BEGUN', 't', 'epoch', 'RUNNING', at],
          ['TASK_ENDED', 't', null, 'FAILED', at],
        ],
      },
    };
    const expected = [
      { cursor: '3.0', kind: 'RUN_STARTED', run: 'r', task: null, transformation: null, status: 'RUNNING', at: new Date(at) },
      { cursor: '3.1', kind: 'TASK_BEGUN', run: 'r', task: 't', transformation: 'epoch', status: 'RUNNING', at: new Date(at) },
      { cursor: '3.2', kind: 'TASK_ENDED', run: 'r', task: 't', transformation: null, status: 'FAILED', at: new Date(at) },
    ];
    expect(runEventMessages('r', null)([objects])).toEqual(expected);
    expect(runEventMessages('r', null)([tuples])).toEqual(expected);
    expect(runEventMessages('r', parseCursor('3.0'))([tuples]).map((m) => m.cursor)).toEqual(['3.1', '3.2']);
  });
});
