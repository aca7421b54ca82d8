import { defineCommand, intOption, UsageError, type CommandIO } from './command-args';
import { graphqlRequest } from './graphql-request';
import { DEFAULT_URL, resolveToken, SERVER_OPTIONS } from './server-options';

const PARKED = `query P($first: Int!) { parkedEvents(first: $first) {
  parked rejected oldestAgeSeconds maxEvents maxAgeSeconds overLimit
  events { eventId waitsFor { kind id } parkedAt status issue { code field message } event }
} }`;

const DELETE = `mutation D($run: String, $olderThanSeconds: Int, $eventIds: [String!], $dryRun: Boolean!, $first: Int!) {
  deleteParkedEvents(run: $run, olderThanSeconds: $olderThanSeconds, eventIds: $eventIds, dryRun: $dryRun, first: $first) {
    dryRun matched deleted events { eventId waitsFor { kind id } parkedAt status }
  }
}`;

interface DeleteAnswer {
  deleteParkedEvents: {
    dryRun: boolean;
    matched: number;
    deleted: number;
    events: Array<{ eventId: string; waitsFor: { kind: string; id: string }; parkedAt: string; status: string }>;
  };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `--older-than 7d` (s, m, h, d; bare: seconds) in seconds. */
export function durationSeconds(v: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(v.trim());
  const n = m ? Number(m[1]) * UNIT_SECONDS[m[2] || 's'] : NaN;
  if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1)
    throw new UsageError(`--older-than: a duration such as 3600, 90m, 12h or 7d, got ${JSON.stringify(v)}`);
  return n;
}

interface Answer {
  parkedEvents: {
    parked: number;
    rejected: number;
    oldestAgeSeconds: number | null;
    maxEvents: number;
    maxAgeSeconds: number;
    overLimit: string[];
    events: Array<{
      eventId: string;
      waitsFor: { kind: string; id: string };
      parkedAt: string;
      status: string;
      issue: { code: string; field: string; message: string } | null;
      event: unknown;
    }>;
  };
}

/**
 * `provml parked`: the events a server holds until their run or task lands (docs/ingest.md,
 * "Parked events"), oldest first, with the limits past which they are reported. Exit 0; 1 when
 * some wait past a limit or were kept as rejected, so a cron job or a probe can alert on it.
 */
export const parkedCommand = defineCommand({
  synopsis:
    'provml parked [--first N] [--json] [--url URL] [--token TOKEN]\n' +
    '       provml parked delete (--run ID | --older-than AGE | --id EVENT_ID ...) [--yes] [--first N] [--json] [--url URL] [--token TOKEN]',
  description:
    'List parked events: accepted events whose run or task is not stored yet, written once it is.\n' +
    'Needs an admin token for every study. Exit status 1 when some wait past PROVML_PARKED_MAX_EVENTS\n' +
    'or PROVML_PARKED_MAX_AGE_S, or were kept as rejected once their run landed; 0 otherwise.\n' +
    '`delete` deletes parked events (waiting or rejected) of a run that will never begin, older than AGE\n' +
    '(3600, 90m, 12h, 7d), or by id; every option given must match. Without --yes it is a dry run: it\n' +
    'lists what would go and deletes nothing.',
  options: {
    ...SERVER_OPTIONS,
    first: { type: 'string', value: 'N', help: 'list at most N events, oldest first (default 20)' },
    json: { type: 'boolean', help: 'the whole answer as one JSON object, events included as sent' },
    run: { type: 'string', value: 'ID', help: 'delete: the events that wait for run ID or name it' },
    'older-than': { type: 'string', value: 'AGE', help: 'delete: the events parked at least AGE ago (s, m, h, d)' },
    id: { type: 'string', value: 'EVENT_ID', multiple: true, help: 'delete: this event (repeat for more)' },
    yes: { type: 'boolean', help: 'delete: really delete (without it, a dry run)' },
  },
  positionals: { min: 0, max: 1 },
  async run({ values, positionals }, io) {
    const first = intOption('first', values.first, 20, 0);
    const [sub] = positionals;
    if (sub !== undefined && sub !== 'delete') throw new UsageError(`unknown subcommand ${sub} (delete)`);
    if (sub === 'delete') return deleteParked(values, first, io);
    if (values.run !== undefined || values['older-than'] !== undefined || values.id !== undefined || values.yes)
      throw new UsageError('--run, --older-than, --id and --yes belong to `provml parked delete`');
    const data = (await graphqlRequest(values.url ?? DEFAULT_URL, resolveToken(values.token, io.env), PARKED, {
      first,
    })) as unknown as Answer;
    const p = data.parkedEvents;
    const alarm = p.overLimit.length > 0 || p.rejected > 0;
    if (values.json) {
      io.out.write(JSON.stringify(p) + '\n');
      return alarm ? 1 : 0;
    }
    const age = p.oldestAgeSeconds === null ? '-' : `${p.oldestAgeSeconds} s`;
    io.out.write(
      `parked ${p.parked} (limit ${p.maxEvents}), oldest ${age} (limit ${p.maxAgeSeconds} s), rejected ${p.rejected}` +
        (p.overLimit.length ? `; past the limit: ${p.overLimit.join(', ')} (kept, never dropped)` : '') +
        '\n',
    );
    for (const e of p.events) {
      const why = e.issue ? `  ${e.issue.code} ${e.issue.field}: ${e.issue.message}` : '';
      io.out.write(`${e.parkedAt}  ${e.status.padEnd(8)}  ${e.eventId}  waits for ${e.waitsFor.kind} ${e.waitsFor.id}${why}\n`);
    }
    return alarm ? 1 : 0;
  },
});

async function deleteParked(
  values: { url?: string; token?: string; json?: boolean; run?: string; 'older-than'?: string; id?: string[]; yes?: boolean },
  first: number,
  io: CommandIO,
): Promise<number> {
  if (values.run === undefined && values['older-than'] === undefined && values.id === undefined)
    throw new UsageError('name the events to delete: --run ID, --older-than AGE or --id EVENT_ID');
  const data = (await graphqlRequest(values.url ?? DEFAULT_URL, resolveToken(values.token, io.env), DELETE, {
    run: values.run ?? null,
    olderThanSeconds: values['older-than'] === undefined ? null : durationSeconds(values['older-than']),
    eventIds: values.id ?? null,
    dryRun: !values.yes,
    first,
  })) as unknown as DeleteAnswer;
  const d = data.deleteParkedEvents;
  if (values.json) {
    io.out.write(JSON.stringify(d) + '\n');
    return 0;
  }
  io.out.write(
    d.dryRun
      ? `dry run: ${d.matched} parked event${d.matched === 1 ? '' : 's'} would be deleted (again with --yes to delete)\n`
      : `deleted ${d.deleted} parked event${d.deleted === 1 ? '' : 's'}\n`,
  );
  for (const e of d.events)
    io.out.write(`${e.parkedAt}  ${e.status.padEnd(8)}  ${e.eventId}  waits for ${e.waitsFor.kind} ${e.waitsFor.id}\n`);
  return 0;
}
