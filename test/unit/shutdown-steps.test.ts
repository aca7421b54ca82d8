import http from 'node:http';
import { createLogger } from '../../src/logger';
import { requestIdOf } from '../../src/ops/request-id';
import { ShutdownSteps } from '../../src/ops/shutdown-steps';

describe('ShutdownSteps', () => {
  it('runs phases in order, each last-registered first, and keeps going past a failing step', async () => {
    const lines: string[] = [];
    const steps = new ShutdownSteps(createLogger('error', {}, (l) => lines.push(l)));
    const ran: string[] = [];
    const step = (name: string) => async () => {
      ran.push(name);
    };
    steps.add('workers', 'workers', step('workers'));
    steps.add('pool', 'stores', step('pool'));
    steps.add('local postgres', 'stores', step('local postgres'));
    steps.add('subscriptions', 'connections', step('subscriptions'));
    steps.add('broken', 'stores', async () => {
      throw new Error('close failed');
    });

    await steps.run(['connections']);
    expect(ran).toEqual(['subscriptions']);
    await steps.run(['workers', 'stores']);
    expect(ran).toEqual(['subscriptions', 'workers', 'local postgres', 'pool']);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ msg: 'shutdown step failed', step: 'broken', error: 'close failed' }),
    ]);
    // Each step runs once, and nothing may join a shutdown under way.
    await steps.run();
    expect(ran).toHaveLength(4);
    expect(() => steps.add('late', 'stores', step('late'))).toThrow(/after the shutdown began/);
  });
});

describe('requestIdOf', () => {
  const req = (id?: string | string[]) => ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as http.IncomingMessage;
  it('keeps a plain token and replaces anything else with a UUID', () => {
    expect(requestIdOf(req('trace-1f2e.span:9'))).toBe('trace-1f2e.span:9');
    expect(requestIdOf(req(['first', 'second']))).toBe('first');
    for (const bad of [undefined, '', 'has space', 'quote"', 'x'.repeat(129), 'line\nbreak']) {
      expect(requestIdOf(req(bad))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});
