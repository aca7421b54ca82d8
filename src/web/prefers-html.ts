// Content negotiation for /graphql: a browser's navigation asks for text/html first; GraphQL
// clients ask for JSON or send */* (curl, fetch), and keep getting JSON.

interface MediaRange {
  type: string;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const q = qParam ? Number(qParam.slice(2)) : 1;
      return { type: type.trim(), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((r) => r.type.length > 0);
}

/** The q a media type gets from an Accept header: its most specific matching range wins. */
function qualityOf(ranges: MediaRange[], type: string): number {
  const [major] = type.split('/');
  const exact = ranges.find((r) => r.type === type);
  if (exact) return exact.q;
  const sub = ranges.find((r) => r.type === `${major}/*`);
  if (sub) return sub.q;
  return ranges.find((r) => r.type === '*/*')?.q ?? 0;
}

const JSON_TYPES = ['application/json', 'application/graphql-response+json'];

/** True when the client prefers an HTML page to a GraphQL JSON response; a tie goes to JSON. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const html = qualityOf(ranges, 'text/html');
  return html > 0 && JSON_TYPES.every((t) => qualityOf(ranges, t) < html);
}
