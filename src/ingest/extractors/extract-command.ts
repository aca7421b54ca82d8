import type { ObjectStore } from '../../connectors/objects/object-store';
import { extract, type ExtractOptions } from './extract';
import { ExtractError } from './extract-error';
import { openRangeReader } from './open-range-reader';

const USAGE = 'usage: provml extract PATH_OR_URI [--json] [--fast] [--inline-byte N] [--crossline-byte N]';

export interface ExtractCommandDeps {
  /**
   * Store for s3:// URIs. Without one, the command makes an S3 client from the usual AWS
   * environment (credentials chain, AWS_REGION, AWS_ENDPOINT_URL; a custom endpoint implies
   * path-style addressing, as MinIO and s3rver need).
   */
  objectStore?: ObjectStore;
}

interface Parsed {
  target: string;
  json: boolean;
  opts: ExtractOptions;
}

function parseArgs(args: string[]): Parsed | string {
  let target: string | undefined;
  let json = false;
  const opts: ExtractOptions = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '--fast') opts.fast = true;
    else if (a === '--inline-byte' || a === '--crossline-byte') {
      const v = args[++i];
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < 1 || n > 237)
        return `${a} needs a trace header byte from 1 to 237, got ${v ?? 'nothing'}`;
      if (a === '--inline-byte') opts.inlineByte = n;
      else opts.crosslineByte = n;
    } else if (a.startsWith('-')) return `unknown option ${a}`;
    else if (target === undefined) target = a;
    else return `one file at a time (got ${target} and ${a})`;
  }
  return target === undefined ? 'missing PATH_OR_URI' : { target, json, opts };
}

/**
 * `provml extract`: prints one JSON object (compact with --json, indented otherwise) and
 * returns 0; on bad input prints one line to `err` and returns 1 (2 for bad usage).
 */
export async function extractCommand(
  args: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  deps: ExtractCommandDeps = {},
): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    err.write(`provml extract: ${parsed}\n${USAGE}\n`);
    return 2;
  }
  let store = deps.objectStore;
  let ownStore = false;
  try {
    if (!store && parsed.target.startsWith('s3://')) {
      store = await s3StoreFromEnvironment();
      ownStore = true;
    }
    const reader = await openRangeReader(parsed.target, { objectStore: store });
    try {
      const result = await extract(reader, parsed.opts);
      out.write(JSON.stringify(result, null, parsed.json ? undefined : 2) + '\n');
      return 0;
    } finally {
      await reader.close();
    }
  } catch (e) {
    err.write(`provml extract: ${parsed.target}: ${describe(e)}\n`);
    return 1;
  } finally {
    if (ownStore) await store?.close();
  }
}

function describe(e: unknown): string {
  if (e instanceof ExtractError) return e.toLine();
  // Anything unexpected still gets one line: its first, without a stack.
  const msg = e instanceof Error ? e.message : String(e);
  return `ERROR: ${msg.split('\n')[0]}`;
}

async function s3StoreFromEnvironment(): Promise<ObjectStore> {
  // Loaded lazily: the AWS SDK costs start-up time that file extraction never needs.
  const { S3Client } = await import('@aws-sdk/client-s3');
  const { S3ObjectStore } = await import('../../connectors/objects/s3-object-store');
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  const client = new S3Client({
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    region: process.env.AWS_REGION ?? 'us-east-1',
  });
  return new S3ObjectStore(client, { id: 's3' });
}
