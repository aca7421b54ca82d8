import type { Scope } from './scopes';

/**
 * What each GraphQL root field and each HTTP route needs: the one table of access control.
 * A root field missing here is refused (FORBIDDEN), and test/unit/access-policy.test.ts fails
 * when the schema has a root field this table does not name, so a new field cannot ship open.
 * `rate` names the per-token rate limit a field or route draws on (src/auth/rate-limiter.ts).
 */
export type RateClass = 'ingest' | 'expensive';

export interface Requirement {
  /** null: any authenticated principal. */
  scope: Scope | null;
  rate?: RateClass;
  /** Refused to a study-limited token: what it reaches is not partitioned by study, or could widen a token. */
  allStudies?: true;
}

export const ROOT_FIELD_SCOPES: Record<'Query' | 'Mutation' | 'Subscription', Record<string, Requirement>> = {
  Query: {
    bestModel: { scope: 'read' },
    dataReference: { scope: 'read' },
    dataReferences: { scope: 'read' },
    dataStores: { scope: 'read' },
    execution: { scope: 'read' },
    executions: { scope: 'read' },
    experiments: { scope: 'read' },
    extractionJobs: { scope: 'read' },
    lineage: { scope: 'read', rate: 'expensive' },
    model: { scope: 'read' },
    models: { scope: 'read' },
    modelsTrainedOnArea: { scope: 'read' },
    node: { scope: 'read' },
    provDocument: { scope: 'read', rate: 'expensive' },
    // The knowledge stores are not partitioned by study (published PROV-O of every study may be there).
    sparql: { scope: 'read', allStudies: true },
    studies: { scope: 'read' },
    task: { scope: 'read' },
    apiTokens: { scope: 'admin', allStudies: true },
    // Parked events have no study until their run lands: every study's token only.
    parkedEvents: { scope: 'admin', allStudies: true },
    // Introspection: tooling (codegen, IDEs) reads the schema with a read token.
    __schema: { scope: 'read' },
    __type: { scope: 'read' },
    __typename: { scope: null },
  },
  Mutation: {
    ingest: { scope: 'ingest', rate: 'ingest' },
    registerWorkflow: { scope: 'register' },
    // A study-limited admin must not mint a token for every study.
    createApiToken: { scope: 'admin', allStudies: true },
    revokeApiToken: { scope: 'admin', allStudies: true },
    // Parked events have no study until their run lands, as for parkedEvents.
    deleteParkedEvents: { scope: 'admin', allStudies: true },
    __typename: { scope: null },
  },
  // Subscriptions: checked when a subscribe message arrives (src/live/live-server.ts); a
  // study-limited token gets only its studies' runs (the resolvers read through its scoped store).
  Subscription: {
    runEvents: { scope: 'read' },
    metrics: { scope: 'read' },
    runs: { scope: 'read' },
    __typename: { scope: null },
  },
};

export interface RouteRule {
  /** Human name used in errors and the audit log. */
  name: string;
  match: (method: string, pathname: string) => boolean;
  need: Requirement | 'open';
  /** A write: logged in the audit log when allowed. */
  write?: boolean;
}

const provlake = (rest: string) => new RegExp(`^(?:/provlake)?/${rest}/?$`);
const PROSPECTIVE = provlake('prospective-provenance');
const RETROSPECTIVE = provlake('retrospective-provenance');
const DATA_STORES = provlake('provenance/api/data-stores(?:/[^/]+)?');

/** HTTP routes of src/server.ts, in match order; /graphql is checked per root field. */
export const ROUTE_RULES: RouteRule[] = [
  { name: 'GET /healthz', match: (_m, p) => p === '/healthz', need: 'open' },
  {
    name: 'POST /provlake/prospective-provenance',
    match: (_m, p) => PROSPECTIVE.test(p),
    need: { scope: 'register' },
    write: true,
  },
  {
    name: 'POST /provlake/retrospective-provenance',
    match: (_m, p) => RETROSPECTIVE.test(p),
    need: { scope: 'ingest', rate: 'ingest' },
    write: true,
  },
  {
    name: 'GET /provlake/provenance/api/data-stores',
    match: (m, p) => DATA_STORES.test(p) && (m === 'GET' || m === 'HEAD'),
    need: { scope: 'read' },
  },
  {
    name: 'POST /provlake/provenance/api/data-stores',
    match: (_m, p) => DATA_STORES.test(p),
    need: { scope: 'register' },
    write: true,
  },
  {
    name: 'GET /prov',
    match: (_m, p) => (p === '/prov' || p.startsWith('/prov/')) && !p.startsWith('/provlake'),
    need: { scope: 'read', rate: 'expensive' },
  },
];

export function routeRule(method: string, pathname: string): RouteRule | undefined {
  return ROUTE_RULES.find((r) => r.match(method, pathname));
}
