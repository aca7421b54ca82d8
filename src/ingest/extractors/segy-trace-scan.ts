import type { RangeReader } from './range-reader';
import { isSyncRangeReader } from './range-reader';
import { ExtractError } from './extract-error';
import type { ByteOrder } from './segy-binary-header';
import { readTraceKeys, TRACE_HEADER, type TraceHeaderLayout, type TraceKeys } from './segy-trace-header';

/** Where the traces of a fixed-length file are. */
export interface FixedTraceLayout {
  dataStart: number;
  /** Bytes of one trace: its headers (240 × (1 + extra)) and its samples. */
  traceSize: number;
  traceCount: number;
  order: ByteOrder;
  keys: TraceHeaderLayout;
}

/** How trace-header reads are grouped into requests. */
export interface ScanOptions {
  /**
   * Sample bytes we accept to read between two trace headers to save a request. 0 (the
   * default) reads headers only, never samples: bytesRead is exactly the headers' bytes.
   */
  coalesceGapBytes?: number;
  /** Upper bound of one coalesced request. */
  maxRangeBytes?: number;
  /** Requests in flight at once (hides S3 latency; the file system barely cares). */
  concurrency?: number;
}

const BATCH_TRACES = 8192;

/** Reads exactly `length` bytes at `offset`, or says where the file ended. */
export async function readExact(reader: RangeReader, offset: number, length: number, what: string): Promise<Buffer> {
  const b = await reader.read(offset, length);
  if (b.length < length)
    throw new ExtractError(
      'TRUNCATED',
      `file ends at byte ${offset + b.length} inside ${what} (bytes ${offset}-${offset + length - 1})`,
      {
        offset: offset + b.length,
        source: reader.source,
      },
    );
  return b;
}

export async function readTraceAt(
  reader: RangeReader,
  offset: number,
  order: ByteOrder,
  keys: TraceHeaderLayout,
  index: number,
): Promise<TraceKeys> {
  return readTraceKeys(await readExact(reader, offset, TRACE_HEADER, `trace header ${index}`), order, keys);
}

/** Runs `tasks` with at most `limit` in flight; results in task order. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const k = next++;
      out[k] = await tasks[k]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/**
 * Visits every trace header of a fixed-length file in trace order. Headers are fetched a
 * batch at a time; within a batch, runs of traces whose sample gap is small enough are merged
 * into one request, and requests run concurrently.
 */
export async function scanFixed(
  reader: RangeReader,
  layout: FixedTraceLayout,
  opts: ScanOptions,
  visit: (index: number, keys: TraceKeys) => void,
): Promise<void> {
  const { dataStart, traceSize, traceCount, order, keys } = layout;
  const gap = traceSize - TRACE_HEADER;
  const maxRange = opts.maxRangeBytes ?? 8 * 1024 * 1024;
  const perRange = gap <= (opts.coalesceGapBytes ?? 0) ? Math.max(1, Math.floor(maxRange / traceSize)) : 1;
  const sync = isSyncRangeReader(reader) ? reader : null;
  const scratch = Buffer.allocUnsafe(TRACE_HEADER);

  for (let first = 0; first < traceCount; first += BATCH_TRACES) {
    const last = Math.min(traceCount, first + BATCH_TRACES);
    if (sync && perRange === 1) {
      // One pread per header: a syscall costs far less than a promise round trip.
      for (let i = first; i < last; i++) {
        const off = dataStart + i * traceSize;
        const n = sync.readSync(off, TRACE_HEADER, scratch, 0);
        if (n < TRACE_HEADER)
          throw new ExtractError('TRUNCATED', `file ends at byte ${off + n} inside trace header ${i}`, {
            offset: off + n,
          });
        visit(i, readTraceKeys(scratch, order, keys));
      }
      continue;
    }
    const tasks: (() => Promise<Buffer>)[] = [];
    const starts: number[] = [];
    for (let i = first; i < last; i += perRange) {
      const n = Math.min(perRange, last - i);
      const off = dataStart + i * traceSize;
      const len = (n - 1) * traceSize + TRACE_HEADER;
      starts.push(i);
      tasks.push(() => readExact(reader, off, len, `trace headers ${i}..${i + n - 1}`));
    }
    const bufs = await pool(tasks, opts.concurrency ?? 16);
    bufs.forEach((buf, k) => {
      const i0 = starts[k];
      for (let j = 0; j * traceSize < buf.length; j++)
        visit(i0 + j, readTraceKeys(buf.subarray(j * traceSize, j * traceSize + TRACE_HEADER), order, keys));
    });
  }
}

/**
 * Walks a file whose traces differ in length (each header says its own sample count); one
 * request per trace, in sequence. Returns the trace count.
 */
export async function scanVariable(
  reader: RangeReader,
  dataStart: number,
  dataEnd: number,
  headerSize: number,
  defaultSamples: number,
  bytesPerSample: number,
  order: ByteOrder,
  keys: TraceHeaderLayout,
  visit: (index: number, keys: TraceKeys) => void,
): Promise<number> {
  let off = dataStart;
  let i = 0;
  while (off < dataEnd) {
    if (dataEnd - off < headerSize)
      throw new ExtractError('TRUNCATED', `file ends at byte ${dataEnd} inside trace header ${i} (starts at byte ${off})`, {
        offset: dataEnd,
      });
    const t = await readTraceAt(reader, off, order, keys, i);
    // A zero in a trace header defers to the binary header's count.
    const samples = t.samples || defaultSamples;
    const size = headerSize + samples * bytesPerSample;
    if (off + size > dataEnd)
      throw new ExtractError(
        'TRUNCATED',
        `trace ${i} starts at byte ${off} and needs ${size} bytes (${headerSize}-byte header + ${samples} samples x ${bytesPerSample} bytes) but the file ends at byte ${dataEnd}`,
        { offset: dataEnd, field: `trace ${i} samples (byte 115)` },
      );
    visit(i, t);
    off += size;
    i++;
  }
  return i;
}
