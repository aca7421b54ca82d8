import type { ObjectStore } from '../connectors/objects/object-store';
import { extract, type ExtractOptions } from '../ingest/extractors/extract';
import { ExtractError } from '../ingest/extractors/extract-error';
import { openRangeReader } from '../ingest/extractors/open-range-reader';
import { defineCommand, UsageError, type Command } from './command-args';

export interface ExtractCommandDeps {
  /**
   * Store for s3:// URIs. Without one, the command makes an S3 client from the usual AWS
   * environment (credentials chain, AWS_REGION, AWS_ENDPOINT_URL; a custom endpoint implies
   * path-style addressing, as MinIO and s3rver need).
   */
  objectStore?: ObjectStore;
}

function headerByte(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 237) throw new UsageError(`--${name} needs a trace header byte from 1 to 237, got ${v}`);
  return n;
}

/**
 * `provml extract`: prints one JSON object (compact with --json, indented otherwise) and
 * returns 0; on a file it cannot read prints one line and returns 1 (2 for bad usage).
 */
export function makeExtractCommand(deps: ExtractCommandDeps = {}): Command {
  return defineCommand({
    synopsis: 'provml extract PATH_OR_URI [--json] [--fast] [--inline-byte N] [--crossline-byte N]',
    description: 'Read SEG-Y / HDF5 metadata from a file path, a file:// or an s3:// URI and print it as JSON.',
    options: {
      json: { type: 'boolean', help: 'compact JSON on one line' },
      fast: { type: 'boolean', help: 'read only the headers needed for the summary' },
      'inline-byte': { type: 'string', value: 'N', help: 'SEG-Y trace header byte of the inline number (1-237)' },
      'crossline-byte': { type: 'string', value: 'N', help: 'SEG-Y trace header byte of the crossline number (1-237)' },
    },
    positionals: { min: 1, max: 1 },
    async run({ values, positionals: [target] }, io) {
      const opts: ExtractOptions = {};
      if (values.fast) opts.fast = true;
      const inline = headerByte('inline-byte', values['inline-byte']);
      const crossline = headerByte('crossline-byte', values['crossline-byte']);
      if (inline !== undefined) opts.inlineByte = inline;
      if (crossline !== undefined) opts.crosslineByte = crossline;
      let store = deps.objectStore;
      let ownStore = false;
      try {
        if (!store && target.startsWith('s3://')) {
          store = await s3StoreFromEnvironment(io.env);
          ownStore = true;
        }
        const reader = await openRangeReader(target, { objectStore: store });
        try {
          const result = await extract(reader, opts);
          io.out.write(JSON.stringify(result, null, values.json ? undefined : 2) + '\n');
          return 0;
        } finally {
          await reader.close();
        }
      } catch (e) {
        io.err.write(`provml extract: ${target}: ${describe(e)}\n`);
        return 1;
      } finally {
        if (ownStore) await store?.close();
      }
    },
  });
}

export const extractCommand = makeExtractCommand();

function describe(e: unknown): string {
  if (e instanceof ExtractError) return e.toLine();
  // Anything unexpected still gets one line: its first, without a stack.
  const msg = e instanceof Error ? e.message : String(e);
  return `ERROR: ${msg.split('\n')[0]}`;
}

async function s3StoreFromEnvironment(env: NodeJS.ProcessEnv): Promise<ObjectStore> {
  // Loaded lazily: the AWS SDK costs start-up time that file extraction never needs.
  const { S3Client } = await import('@aws-sdk/client-s3');
  const { S3ObjectStore } = await import('../connectors/objects/s3-object-store');
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const client = new S3Client({
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    region: env.AWS_REGION ?? 'us-east-1',
  });
  return new S3ObjectStore(client, { id: 's3' });
}
