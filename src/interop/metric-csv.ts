import { BadUserInputError } from '../errors';

export interface MetricPoint {
  step: number | null;
  /** May be NaN or an infinity (a diverged loss): the importer keeps those apart, as written. */
  value: number;
  /** The value as the file writes it, for one that is not finite (`nan`, `inf`, `-inf`). */
  written?: string;
  /** Epoch milliseconds, when the file has them. */
  time: number | null;
}

// How Python's str() / f-strings write a float that is not finite (and numpy's, and JS's).
const NON_FINITE: Record<string, number> = { nan: NaN, inf: Infinity, infinity: Infinity };
function numberOf(cell: string | undefined): number {
  const c = (cell ?? '').trim();
  const m = /^([+-]?)(nan|inf|infinity)$/i.exec(c);
  if (m) return m[1] === '-' ? -NON_FINITE[m[2].toLowerCase()] : NON_FINITE[m[2].toLowerCase()];
  return c === '' ? NaN : Number(c);
}
const isNumberCell = (cell: string | undefined) => !Number.isNaN(numberOf(cell)) || /^[+-]?nan$/i.test((cell ?? '').trim());

export interface MetricCsv {
  points: MetricPoint[];
  /** What yProvML's header line says (`name,context,source`), when it is that header. */
  attributes?: Record<string, string>;
}

/**
 * A metric file as yProv4ML writes it: an optional header line, then `step,value,timestamp`
 * rows (named columns `step`/`epoch`, `value`, `time`/`timestamp` are found by name). Timestamps
 * in seconds or milliseconds are both read. yProvML's own header (`MetricInfo.save_to_txt`) is
 * `<name>,<context>,<source>`, kept as the file's attributes. Values written `nan` / `inf` /
 * `-inf` (Python's spelling of a diverged loss) are read, as non-finite points.
 */
export function readMetricCsv(text: string, file: string): MetricCsv {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) return { points: [] };
  const cells = (l: string) => l.split(/[,;\t]/).map((c) => c.trim());
  let cols = { step: 0, value: 1, time: 2 };
  let start = 0;
  const head = cells(lines[0]);
  let attributes: Record<string, string> | undefined;
  if (head.some((c) => c !== '' && !isNumberCell(c))) {
    start = 1;
    const find = (re: RegExp) => head.findIndex((c) => re.test(c.toLowerCase()));
    const step = find(/^(step|epoch|iteration)$/);
    const value = find(/^value$/);
    const time = find(/^(time|timestamp)$/);
    if (value >= 0) cols = { step: step >= 0 ? step : -1, value, time: time >= 0 ? time : -1 };
    else if (head.length === 3) attributes = { name: head[0], context: head[1], source: head[2] };
  }
  const points = lines.slice(start).map((l, i) => {
    const c = cells(l);
    const value = numberOf(c[cols.value]);
    if (!isNumberCell(c[cols.value]))
      throw new BadUserInputError(
        `${file} line ${i + start + 1}: value ${JSON.stringify(c[cols.value] ?? '')} is not a number`,
        `${file}:${i + start + 1}`,
      );
    const step = cols.step >= 0 && c[cols.step] !== undefined && c[cols.step] !== '' ? Number(c[cols.step]) : null;
    const t = cols.time >= 0 && c[cols.time] !== undefined && c[cols.time] !== '' ? Number(c[cols.time]) : null;
    return {
      step: step !== null && Number.isInteger(step) ? step : null,
      value,
      ...(Number.isFinite(value) ? {} : { written: c[cols.value] }),
      time: t !== null && Number.isFinite(t) ? (t < 1e11 ? Math.round(t * 1000) : Math.round(t)) : null,
    };
  });
  return attributes ? { points, attributes } : { points };
}
