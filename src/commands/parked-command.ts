import { defineCommand, intOption } from './command-args';
import { graphqlRequest } from './graphql-request';
import { DEFAULT_URL, resolveToken, SERVER_OPTIONS } from './server-options';

const PARKED = `query P($first: Int!) { parkedEvents(first: $first) {
  parked rejected oldestAgeSeconds maxEvents maxAgeSeconds overLimit
  events { eventId waitsFor { kind id } parkedAt status issue { code field message } event }
} }`;

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
  synopsis: 'provml parked [--first N] [--json] [--url URL] [--token TOKEN]',
  description:
    'List parked events: accepted events whose run or task is not stored yet, written once it is.\n' +
    'Needs an admin token for every study. Exit status 1 when some wait past PROVML_PARKED_MAX_EVENTS\n' +
    'or PROVML_PARKED_MAX_AGE_S, or were kept as rejected once their run landed; 0 otherwise.',
  options: {
    ...SERVER_OPTIONS,
    first: { type: 'string', value: 'N', help: 'list at most N events, oldest first (default 20)' },
    json: { type: 'boolean', help: 'the whole answer as one JSON object, events included as sent' },
  },
  positionals: { min: 0, max: 0 },
  async run({ values }, io) {
    const first = intOption('first', values.first, 20, 0);
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
