import fs from 'node:fs';
import { IngestHttpError } from '#client';
import { CommandError, defineCommand, intOption } from './command-args';
import { Progress } from './progress';
import { countEventLines, sendEventsFile } from './send-events-file';
import { DEFAULT_URL, PROGRESS_OPTIONS, resolveToken, SERVER_OPTIONS } from './server-options';

/** `provml ingest FILE.jsonl`: exit 0 when every event landed, 2 when some were rejected. */
export const ingestCommand = defineCommand({
  synopsis: 'provml ingest FILE.jsonl [--url URL] [--token TOKEN] [--batch N] [--quiet]',
  description:
    'Send a file of ingest events (one JSON object a line, docs/ingest.md) in batches. Prints one\n' +
    'JSON line of totals; exits 2 when the server rejected some events (their issues are listed).',
  options: {
    ...SERVER_OPTIONS,
    batch: { type: 'string', value: 'N', help: 'events per ingest mutation (default 1000)' },
    ...PROGRESS_OPTIONS,
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals: [file] }, io) {
    const batchSize = intOption('batch', values.batch, 1000);
    await checkReadable(file);
    const progress = new Progress(io.err, values.quiet);
    const total = progress.active ? await countEventLines(file) : 0;
    try {
      const totals = await sendEventsFile(file, values.url ?? DEFAULT_URL, {
        batchSize,
        token: resolveToken(values.token, io.env),
        onProgress: (sent) => progress.update(`provml ingest: ${sent} / ${total} events sent`),
      });
      progress.done();
      io.out.write(JSON.stringify(totals) + '\n');
      return totals.rejected ? 2 : 0;
    } catch (e) {
      progress.done();
      if (e instanceof IngestHttpError) throw new CommandError(e.message);
      throw e;
    }
  },
});

/** A missing or unreadable file, said with its name before anything is sent. */
export async function checkReadable(file: string): Promise<void> {
  try {
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CommandError(
      `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(e)}`,
    );
  }
}
