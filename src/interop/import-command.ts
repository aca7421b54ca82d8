import fs from 'node:fs/promises';
import path from 'node:path';
import { postIngest } from '../client/post-ingest';
import { planImport } from './import-document';

const USAGE = 'usage: provml import FILE.json --url URL   (yProv4ML PROV-JSON, a provml export, or any PROV-JSON)';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function gql(url: string, query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data ?? {};
}

/** `provml import`: plans the import here, registers the specs and sends the events to the server. */
export async function importCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const file = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1].startsWith('--')));
  if (!file) {
    err.write(`provml import: a file is required\n${USAGE}\n`);
    return 1;
  }
  const url = flag(args, '--url') ?? 'http://127.0.0.1:4000/graphql';
  const text = await fs.readFile(file, 'utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    err.write(`provml import: ${file} is not JSON: ${(e as Error).message}\n`);
    return 1;
  }
  const plan = await planImport(data, { baseDir: path.dirname(path.resolve(file)), fileName: path.basename(file), text });
  const versions = new Map<string, number>();
  for (const { spec, version } of plan.specs) {
    const d = await gql(url, 'mutation R($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { name version } }', { s: spec });
    const w = d.registerWorkflow as { name: string; version: number };
    if (version !== undefined) versions.set(`${spec.name}\u0000${version}`, w.version);
  }
  const events = plan.events.map((e) =>
    e.type === 'workflowBegin' && e.version !== undefined
      ? { ...e, version: versions.get(`${String(e.workflow)}\u0000${String(e.version)}`) ?? e.version }
      : e,
  );
  const totals = {
    source: plan.source,
    events: events.length,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    warnings: plan.warnings,
    files: plan.files,
  };
  for (let i = 0; i < events.length; i += 1000) {
    const r = await postIngest(url, events.slice(i, i + 1000) as Parameters<typeof postIngest>[1]);
    totals.accepted += r.accepted;
    totals.duplicates += r.duplicates;
    totals.rejected += r.rejected;
    for (const issue of r.issues)
      err.write(`provml import: event ${issue.eventId ?? i + issue.index}: ${issue.field}: ${issue.message}\n`);
  }
  out.write(JSON.stringify(totals) + '\n');
  return totals.rejected ? 2 : 0;
}
