import { BadUserInputError } from '../errors';

export interface MetricPoint {
  step: number | null;
  value: number;
  /** Epoch milliseconds, when the file has them. */
  time: number | null;
}

/**
 * A metric file as yProv4ML writes it: an optional header line, then `step,value,timestamp`
 * rows (named columns `step`/`epoch`, `value`, `time`/`timestamp` are found by name). Timestamps
 * in seconds or milliseconds are both read.
 */
export function parseMetricCsv(text: string, file: string): MetricPoint[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) return [];
  const cells = (l: string) => l.split(/[,;\t]/).map((c) => c.trim());
  let cols = { step: 0, value: 1, time: 2 };
  let start = 0;
  const head = cells(lines[0]);
  if (head.some((c) => c !== '' && !Number.isFinite(Number(c)))) {
    start = 1;
    const find = (re: RegExp) => head.findIndex((c) => re.test(c.toLowerCase()));
    const step = find(/^(step|epoch|iteration)$/);
    const value = find(/^value$/);
    const time = find(/^(time|timestamp)$/);
    if (value >= 0) cols = { step: step >= 0 ? step : -1, value, time: time >= 0 ? time : -1 };
  }
  return lines.slice(start).map((l, i) => {
    const c = cells(l);
    const value = Number(c[cols.value]);
    if (!Number.isFinite(value))
      throw new BadUserInputError(
        `${file} line ${i + start + 1}: value ${JSON.stringify(c[cols.value] ?? '')} is not a number`,
        `${file}:${i + start + 1}`,
      );
    const step = cols.step >= 0 && c[cols.step] !== undefined && c[cols.step] !== '' ? Number(c[cols.step]) : null;
    const t = cols.time >= 0 && c[cols.time] !== undefined && c[cols.time] !== '' ? Number(c[cols.time]) : null;
    return {
      step: step !== null && Number.isInteger(step) ? step : null,
      value,
      time: t !== null && Number.isFinite(t) ? (t < 1e11 ? Math.round(t * 1000) : Math.round(t)) : null,
    };
  });
}
