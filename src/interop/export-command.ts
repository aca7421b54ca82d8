import { EXPORT_FORMATS, parseFormat } from './export-document';

const USAGE = `usage: provml export --url URL --format ${EXPORT_FORMATS.join('|')} [--run ID | --entity URI] [--depth N]`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `provml export`: streams the server's /prov document to `out` (the URL may be the /graphql one). */
export async function exportCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let format;
  try {
    format = parseFormat(flag(args, '--format'));
  } catch (e) {
    err.write(`provml export: ${(e as Error).message}\n${USAGE}\n`);
    return 1;
  }
  const run = flag(args, '--run');
  const entity = flag(args, '--entity');
  const depth = flag(args, '--depth');
  if (run && entity) {
    err.write(`provml export: give --run or --entity, not both\n${USAGE}\n`);
    return 1;
  }
  if (depth !== undefined && !/^\d+$/.test(depth)) {
    err.write(`provml export: --depth must be a whole number, got ${JSON.stringify(depth)}\n`);
    return 1;
  }
  const base = new URL(flag(args, '--url') ?? 'http://127.0.0.1:4000/graphql');
  base.pathname = run ? `/prov/runs/${encodeURIComponent(run)}` : entity ? '/prov/entity' : '/prov';
  base.search = '';
  base.searchParams.set('format', format);
  if (entity) base.searchParams.set('uri', entity);
  if (depth !== undefined) base.searchParams.set('depth', depth);
  const res = await fetch(base);
  if (!res.ok || !res.body) {
    err.write(`provml export: server answered ${res.status}: ${await res.text()}\n`);
    return 2;
  }
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  return 0;
}
