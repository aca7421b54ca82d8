import { seededRandom } from '../../src/demo/seeded-random';

/**
 * Batch shapes for the ingest property test (test/integration/ingest-batch-shapes.test.ts): the
 * same events cut, reordered, resent and spread over two clients as a seed says, so a failing
 * seed replays exactly.
 */
export type ShapeEvent = Record<string, unknown> & { id: string };

/** One request of the schedule: which client (lane) sends which events, in this order. */
export interface Send {
  lane: 0 | 1;
  events: ShapeEvent[];
  /** A copy of a batch sent before (a retry after a timeout, a replayed spool, a 413 half). */
  resend: boolean;
}

export interface Shape {
  sends: Send[];
  /** The seed's choices in a line, for the failure message. */
  summary: string;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Cuts `events` into batches of 1..k events (k from the seed), shuffles a third of the batches
 * inside, orders the batches either wholly at random or each a few places from where it was,
 * resends about a fifth of them later (some only in part), and gives each request to one of two
 * clients at random.
 */
export function shapeOf(events: readonly ShapeEvent[], seed: number): Shape {
  const random = seededRandom(seed);
  const k = 1 + Math.floor(random() * 48);
  const batches: ShapeEvent[][] = [];
  for (let i = 0; i < events.length;) {
    const size = 1 + Math.floor(random() * k);
    const batch = events.slice(i, i + size);
    batches.push(random() < 1 / 3 ? shuffle(batch, random) : batch);
    i += size;
  }
  const wholly = random() < 0.5;
  const ordered = wholly
    ? shuffle(batches, random)
    : batches
        .map((b, i) => ({ b, at: i + random() * 4 }))
        .sort((x, y) => x.at - y.at)
        .map((x) => x.b);
  const sends: Array<Omit<Send, 'lane'>> = ordered.map((b) => ({ events: b, resend: false }));
  let resent = 0;
  for (const b of ordered) {
    if (random() >= 0.2) continue;
    const part = random() < 0.3 ? b.filter(() => random() < 0.5) : b;
    if (!part.length) continue;
    const after = sends.findIndex((s) => s.events === b);
    const at = after + 1 + Math.floor(random() * (sends.length - after));
    sends.splice(at, 0, { events: part, resend: true });
    resent++;
  }
  const laned: Send[] = sends.map((s) => ({ ...s, lane: random() < 0.5 ? 0 : 1 }));
  return {
    sends: laned,
    summary: `seed ${seed}: ${batches.length} batches of 1..${k}, ${wholly ? 'shuffled' : 'locally reordered'}, ${resent} resent, 2 clients`,
  };
}
