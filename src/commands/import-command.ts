import fs from 'node:fs/promises';
import path from 'node:path';
import { postIngest, IngestHttpError, type JsonValue } from '#client';
import { parseDocumentText, planImport } from '../interop/import-document';
import { CommandError, defineCommand } from './command-args';
import { graphqlRequest } from './graphql-request';
import { checkReadable } from './ingest-command';
import { jsonErrorAt } from './json-location';
import { Progress } from './progress';
import { DEFAULT_URL, PROGRESS_OPTIONS, resolveToken, SERVER_OPTIONS } from './server-options';

const REGISTER = 'mutation R($s: WorkflowSpecInput!) { registerWorkflow(spec: $s) { name version } }';

/** `provml import`: plans the import here, registers the specs and sends the events to the server. */
export const importCommand = defineCommand({
  synopsis: 'provml import FILE.json [--url URL] [--token TOKEN] [--quiet]',
  description:
    'Import a PROV-JSON file (yProv4ML runs, provml exports, any PROV-JSON); importing it twice\n' +
    'changes nothing. Prints one JSON line of totals; exits 2 when events were rejected.',
  options: { ...SERVER_OPTIONS, ...PROGRESS_OPTIONS },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals: [file] }, io) {
    const url = values.url ?? DEFAULT_URL;
    const token = resolveToken(values.token, io.env);
    await checkReadable(file);
    const text = await fs.readFile(file, 'utf8');
    let parsed: ReturnType<typeof parseDocumentText>;
    try {
      parsed = parseDocumentText(text);
    } catch (e) {
      throw new CommandError(jsonErrorAt(file, text, e));
    }
    const plan = await planImport(parsed.data, {
      baseDir: path.dirname(path.resolve(file)),
      fileName: path.basename(file),
      text,
      kept: parsed.kept,
    });
    const versions = new Map<string, number>();
    for (const { spec, version } of plan.specs) {
      const d = await graphqlRequest(url, token, REGISTER, { s: spec });
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
    const progress = new Progress(io.err, values.quiet);
    try {
      for (let i = 0; i < events.length; i += 1000) {
        // Nothing reached the server yet when there were no specs: an unreachable URL fails at once.
        const first = i === 0 && !plan.specs.length;
        const r = await postIngest(url, events.slice(i, i + 1000) as JsonValue[], {
          token,
          networkRetries: first ? 0 : undefined,
        });
        totals.accepted += r.accepted;
        totals.duplicates += r.duplicates;
        totals.rejected += r.rejected;
        progress.update(`provml import: ${Math.min(i + 1000, events.length)} / ${events.length} events sent`);
        for (const issue of r.issues)
          io.err.write(`provml import: event ${issue.eventId ?? i + issue.index}: ${issue.field}: ${issue.message}\n`);
      }
    } catch (e) {
      if (e instanceof IngestHttpError) throw new CommandError(e.message);
      throw e;
    } finally {
      progress.done();
    }
    io.out.write(JSON.stringify(totals) + '\n');
    return totals.rejected ? 2 : 0;
  },
});
