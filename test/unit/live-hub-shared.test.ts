import type { LiveChangeRow } from '../../src/connectors/provenance/pg-live-log';
import { LiveHub } from '../../src/live/live-hub';
import { createLogger } from '../../src/logger';

const rows = (seq: number): LiveChangeRow[] => [
  { stream: 'run:r', seq, payload: { metrics: [['loss', 1, seq, null, null, 0]] } },
];

describe('LiveHub.shared (the messages of a window, made once)', () => {
  // shared() reads neither the store nor the bus: the hub is built without them.
  const hub = new LiveHub({} as never, {} as never, createLogger('error'));

  afterEach(() => jest.useRealTimers());

  it('hands every subscriber of a window the same messages, and keeps them only about a second', () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 11, 8) });
    let made = 0;
    const make = () => [{ n: ++made }];
    const first = hub.shared(rows(1), 'v', make);
    expect(hub.shared(rows(1), 'v', make)).toBe(first);
    expect(hub.shared(rows(1), 'other filter', make)).not.toBe(first);
    expect(made).toBe(2);
    // Windows of a busy run follow each other; the old ones are let go (they held every point
    // of the window, its execution and its bytes: 256 of them were ~100 MB of heap).
    for (let seq = 2; seq <= 30; seq++) {
      jest.advanceTimersByTime(100);
      hub.shared(rows(seq), 'v', make);
    }
    const before = made;
    expect(hub.shared(rows(30), 'v', make)).toEqual([{ n: before }]); // still shared
    expect(hub.shared(rows(1), 'v', make)).not.toBe(first); // made again for a late subscriber
    expect(made).toBe(before + 1);
  });
});
