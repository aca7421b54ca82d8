import { randomBytes } from 'node:crypto';
import type { StreamHead } from '../../src/ingest/live-changes';
import { RedisBus, redisChannelFor } from '../../src/live/redis-bus';
import { silentLogger } from '../../src/logger';
import { REDIS_URL } from '../helpers/redis';
import { liveBusContract } from './live-bus.contract';

liveBusContract('Redis pub/sub', (opened) => new RedisBus(REDIS_URL, silentLogger, redisChannelFor(opened.url)));

describe('Redis channel per store', () => {
  it("is the database's name by default, or the one configured", () => {
    expect(redisChannelFor('postgres://u@db-a.example:5432/provml_prod')).toBe('provml_live:provml_prod');
    expect(redisChannelFor('postgres://u@10.0.0.7/provml_prod?sslmode=require')).toBe('provml_live:provml_prod');
    expect(redisChannelFor('postgres://u@db-a/provml_prod', 'ops-live')).toBe('ops-live');
  });

  it("keeps two stores' heads apart on one Redis, and replicas of one store together", async () => {
    const tag = randomBytes(4).toString('hex');
    const storeA = redisChannelFor(`postgres://127.0.0.1/a_${tag}`);
    const storeB = redisChannelFor(`postgres://localhost/b_${tag}`);
    const heard = (bus: RedisBus) => {
      const got: StreamHead[] = [];
      return { got, start: () => bus.start({ heads: (h) => got.push(...h), resync: () => undefined }) };
    };
    const a1 = new RedisBus(REDIS_URL, silentLogger, storeA);
    const a2 = new RedisBus(REDIS_URL, silentLogger, storeA);
    const b = new RedisBus(REDIS_URL, silentLogger, storeB);
    const onA2 = heard(a2);
    const onB = heard(b);
    try {
      await Promise.all([a1.start({ heads: () => undefined, resync: () => undefined }), onA2.start(), onB.start()]);
      await a1.publish([{ stream: 'run:r1', seq: 7 }]);
      for (let i = 0; i < 100 && onA2.got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100)); // time for a stray message to reach B, were it sent there
      expect(onA2.got).toEqual([{ stream: 'run:r1', seq: 7 }]);
      expect(onB.got).toEqual([]);
    } finally {
      await Promise.all([a1.close(), a2.close(), b.close()]);
    }
  });
});
