import { EXPORT_FORMATS, parseFormat } from '../interop/export-document';
import { CommandError, defineCommand, UsageError } from './command-args';
import { fetchOrExplain } from './graphql-request';
import { megabytes, Progress } from './progress';
import { authHeaders, DEFAULT_URL, PROGRESS_OPTIONS, resolveToken, SERVER_OPTIONS } from './server-options';

/** `provml export`: streams the server's /prov document to stdout (the URL may be the /graphql one). */
export const exportCommand = defineCommand({
  synopsis: `provml export --format ${EXPORT_FORMATS.join('|')} [--run ID | --entity URI] [--depth N] [--url URL] [--token TOKEN]`,
  description:
    "Write the whole store, one run, or an entity's lineage as a PROV document to stdout\n" +
    '(docs/interop.md). Progress (MB written) goes to stderr on a terminal.',
  options: {
    format: { type: 'string', value: 'FORMAT', help: `one of ${EXPORT_FORMATS.join(', ')}` },
    run: { type: 'string', value: 'ID', help: 'only this run' },
    entity: { type: 'string', value: 'URI', help: "only this entity's lineage" },
    depth: { type: 'string', value: 'N', help: 'lineage depth with --entity' },
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
    const base = new URL(values.url ?? DEFAULT_URL);
    base.pathname = run ? `/prov/runs/${encodeURIComponent(run)}` : entity ? '/prov/entity' : '/prov';
    base.search = '';
    base.searchParams.set('format', format);
    if (entity) base.searchParams.set('uri', entity);
    if (depth !== undefined) base.searchParams.set('depth', depth);
    const res = await fetchOrExplain(base, { headers: authHeaders(resolveToken(values.token, io.env)) });
    if (!res.ok || !res.body) throw new CommandError(`server answered ${res.status}: ${await res.text()}`, 2);
    const progress = new Progress(io.err, values.quiet);
    let bytes = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength;
        progress.update(`provml export: ${megabytes(bytes)} written`);
        if (!io.out.write(chunk)) await new Promise<void>((r) => io.out.once('drain', () => r()));
      }
    } finally {
      progress.done(`provml export: ${megabytes(bytes)} written`);
    }
    return 0;
  },
});
