import { EXPORT_FORMATS, parseFormat } from '../interop/export-document';
import { openAtomicFile, refuseExisting, type AtomicFile } from './atomic-file';
import { CommandError, defineCommand, UsageError } from './command-args';
import { fetchOrExplain } from './graphql-request';
import { megabytes, Progress } from './progress';
import { authHeaders, DEFAULT_URL, PROGRESS_OPTIONS, resolveToken, SERVER_OPTIONS } from './server-options';

/**
 * `provml export`: streams the server's /prov document to stdout (the URL may be the /graphql
 * one), or to --output FILE, written atomically: a failed export leaves no partial file and the
 * old one intact.
 */
export const exportCommand = defineCommand({
  synopsis: `provml export --format ${EXPORT_FORMATS.join('|')} [--run ID | --entity URI] [--depth N] [--output FILE [--overwrite]] [--url URL] [--token TOKEN]`,
  description:
    "Write the whole store, one run, or an entity's lineage as a PROV document to stdout or to\n" +
    'FILE (docs/interop.md). FILE appears whole or not at all (temporary file, fsync, rename); an\n' +
    'existing FILE is kept unless --overwrite. Progress (MB written) goes to stderr on a terminal.',
  options: {
    format: { type: 'string', value: 'FORMAT', help: `one of ${EXPORT_FORMATS.join(', ')}` },
    run: { type: 'string', value: 'ID', help: 'only this run' },
    entity: { type: 'string', value: 'URI', help: "only this entity's lineage" },
    depth: { type: 'string', value: 'N', help: 'lineage depth with --entity' },
    output: { type: 'string', short: 'o', value: 'FILE', help: 'write to FILE (atomically) instead of stdout' },
    overwrite: { type: 'boolean', help: 'with --output: replace an existing FILE' },
    ...SERVER_OPTIONS,
    ...PROGRESS_OPTIONS,
  },
  positionals: { min: 0, max: 0 },
  async run({ values }, io) {
    let format;
    try {
      format = parseFormat(values.format);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { run, entity, depth } = values;
    if (run && entity) throw new UsageError('give --run or --entity, not both');
    if (depth !== undefined && !/^\d+$/.test(depth))
      throw new UsageError(`--depth must be a whole number, got ${JSON.stringify(depth)}`);
    if (values.overwrite && values.output === undefined) throw new UsageError('--overwrite goes with --output FILE');
    // Refused before the request: an export of a large store can take a while.
    if (values.output !== undefined) await refuseExisting(values.output, values.overwrite ?? false);
    const base = new URL(values.url ?? DEFAULT_URL);
    base.pathname = run ? `/prov/runs/${encodeURIComponent(run)}` : entity ? '/prov/entity' : '/prov';
    base.search = '';
    base.searchParams.set('format', format);
    if (entity) base.searchParams.set('uri', entity);
    if (depth !== undefined) base.searchParams.set('depth', depth);
    const res = await fetchOrExplain(base, { headers: authHeaders(resolveToken(values.token, io.env)) });
    if (!res.ok || !res.body) throw new CommandError(`server answered ${res.status}: ${await res.text()}`, 2);
    const progress = new Progress(io.err, values.quiet);
    const file: AtomicFile | null =
      values.output !== undefined ? await openAtomicFile(values.output, values.overwrite ?? false) : null;
    const out: NodeJS.WritableStream = file?.stream ?? io.out;
    let bytes = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength;
        progress.update(`provml export: ${megabytes(bytes)} written`);
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await file?.commit();
    } catch (err) {
      await file?.abort();
      if (err instanceof CommandError) throw err;
      // The server (or its store) failed mid-way: the stream ends early, not in a valid document.
      throw new CommandError(
        `the export stopped after ${megabytes(bytes)}: ${(err as Error).message}${file ? `; ${values.output} was not written` : ''}`,
      );
    } finally {
      progress.done(`provml export: ${megabytes(bytes)} written`);
    }
    return 0;
  },
});
