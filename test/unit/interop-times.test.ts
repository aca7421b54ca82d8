import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { timeOf } from '../../src/interop/yprov4ml-values';

// A PROV-JSON time with no zone (Python's naive datetime.isoformat()) must not depend on the
// server's time zone: Date.parse alone reads it as local time. Jest's process.env is a copy,
// so the time zone is changed in a child process.
const ROOT = path.join(__dirname, '../..');
function timeOfIn(tz: string, value: string): number {
  const code = `import { timeOf } from './src/interop/yprov4ml-values';
console.log(JSON.stringify([new Date(2026, 0, 1).getTimezoneOffset(), timeOf(${JSON.stringify(value)})]));`;
  const out = execFileSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['-e', code], {
    cwd: ROOT,
    env: { ...process.env, TZ: tz },
    encoding: 'utf8',
  });
  const [offset, t] = JSON.parse(out) as [number, number];
  expect(offset).not.toBe(0); // the zone did change
  return t;
}

describe('timeOf', () => {
  it('reads a zoneless date-time as UTC, whatever the local zone', () => {
    expect(timeOfIn('America/New_York', '2026-01-01T01:00:00')).toBe(Date.UTC(2026, 0, 1, 1));
    expect(timeOfIn('Asia/Tokyo', '2026-01-01T01:00:00.250')).toBe(Date.UTC(2026, 0, 1, 1, 0, 0, 250));
  }, 30_000);

  it('keeps a written zone, and epoch seconds or milliseconds', () => {
    expect(timeOf('2026-01-01T01:00:00+02:00')).toBe(Date.UTC(2026, 0, 0, 23));
    expect(timeOf('2026-01-01T01:00:00Z')).toBe(Date.UTC(2026, 0, 1, 1));
    expect(timeOf(1760967800.25)).toBe(1760967800250);
    expect(timeOf('1760967800250')).toBe(1760967800250);
  });
});
