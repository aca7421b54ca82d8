import { gql, type GqlError } from './graphql';

// The lineage page's data: the `lineage` field, merged across expansions into one graph.

export const EDGE_KINDS = [
  'USED',
  'WAS_GENERATED_BY',
  'WAS_DERIVED_FROM',
  'WAS_INFORMED_BY',
  'WAS_ASSOCIATED_WITH',
  'WAS_PART_OF',
  'HAD_MEMBER',
] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];
export type Direction = 'BACKWARD' | 'FORWARD' | 'BOTH';

const LINEAGE = `query WebLineage($start: String!, $direction: LineageDirection!, $depth: Int!, $cap: Int!, $kinds: [EdgeKind!]) {
  lineage(start: $start, direction: $direction, maxDepth: $depth, nodeCap: $cap, edgeKinds: $kinds) {
    depth
    nodes {
      depth
      node {
        id
        __typename
        ... on DataReference { uri store models { id } }
        ... on Activity { status startedAt }
        ... on TaskExecution { transformation { name } run { id } }
        ... on WorkflowExecution { experiment { name } }
        ... on Agent { name }
      }
    }
    edges { from to kind }
  }
}`;

export interface GraphNode {
  id: string;
  type: string;
  label: string;
  sub: string;
  /** Where a click on "open" goes: the model card, the run page, or this graph from the node. */
  link: { page: string; params: Record<string, string> };
  expanded: boolean;
  /** A start node of the traversal (depth 0). */
  start: boolean;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export interface LineageGraph {
  nodes: Map<string, GraphNode>;
  edges: Map<string, GraphEdge>;
}

interface RawNode {
  id: string;
  __typename: string;
  uri?: string;
  store?: string;
  models?: Array<{ id: string }>;
  status?: string;
  transformation?: { name: string } | null;
  run?: { id: string } | null;
  experiment?: { name: string } | null;
  name?: string | null;
}

function toNode(n: RawNode): GraphNode {
  const short = n.id.replace(/^[a-z]+:/, '');
  if (n.__typename === 'DataReference') {
    const isModel = (n.models ?? []).length > 0;
    return {
      id: n.id,
      type: isModel ? 'Model' : 'Data',
      label: n.uri ?? short,
      sub: `${n.store ?? ''} · ${n.id}`,
      link: isModel
        ? { page: 'model', params: { uri: n.uri ?? n.id } }
        : { page: 'lineage', params: { start: n.id, dir: 'BOTH' } },
      expanded: false,
      start: false,
    };
  }
  if (n.transformation !== undefined) {
    return {
      id: n.id,
      type: 'Task',
      label: n.transformation?.name ?? short,
      sub: short,
      link: n.run ? { page: 'run', params: { id: n.run.id } } : { page: 'lineage', params: { start: n.id } },
      expanded: false,
      start: false,
    };
  }
  if (n.experiment !== undefined) {
    return {
      id: n.id,
      type: 'Run',
      label: n.experiment?.name ?? short,
      sub: short,
      link: { page: 'run', params: { id: n.id } },
      expanded: false,
      start: false,
    };
  }
  return {
    id: n.id,
    type:
      n.__typename === 'Person' || n.__typename === 'Organization' || n.__typename === 'SoftwareAgent' ? 'Agent' : n.__typename,
    label: n.name ?? short,
    sub: n.__typename,
    link: { page: 'lineage', params: { start: n.id, dir: 'BOTH', depth: '1' } },
    expanded: false,
    start: false,
  };
}

export interface LineageFetch {
  added: LineageGraph;
  /** Levels shown: less than asked when the next level would pass the node cap. */
  depth: number;
  /** The node cap stopped the traversal: there is more to show with a higher cap. */
  capped: boolean;
  errors: GqlError[];
}

type LineageData = { lineage: { nodes: Array<{ depth: number; node: RawNode }>; edges: GraphEdge[] } | null };

/**
 * The lineage around `start`. The server refuses a traversal that passes the node cap
 * (LINEAGE_CAP_EXCEEDED, with the depth it reached); the page then shows the levels that fit,
 * and "show more" asks again with a higher cap.
 */
export async function fetchLineage(
  start: string,
  direction: Direction,
  depth: number,
  cap: number,
  kinds: EdgeKind[] | null,
): Promise<LineageFetch> {
  let asked = depth;
  let capped = false;
  for (;;) {
    const r = await gql<LineageData>(LINEAGE, { start, direction, depth: asked, cap, kinds });
    const capError = r.errors.find((e) => e.extensions?.code === 'LINEAGE_CAP_EXCEEDED');
    const reached = Number(capError?.extensions?.depth);
    if (capError && Number.isInteger(reached) && reached - 1 < asked && reached >= 1) {
      capped = true;
      asked = reached - 1;
      continue;
    }
    const nodes = new Map<string, GraphNode>();
    const edges = new Map<string, GraphEdge>();
    for (const n of r.data?.lineage?.nodes ?? []) nodes.set(n.node.id, { ...toNode(n.node), start: n.depth === 0 });
    for (const e of r.data?.lineage?.edges ?? [])
      if (nodes.has(e.from) && nodes.has(e.to)) edges.set(`${e.kind}|${e.from}|${e.to}`, e);
    return { added: { nodes, edges }, depth: asked, capped, errors: r.errors };
  }
}

/** `b` merged into `a` (a node keeps its expanded mark). */
export function mergeGraphs(a: LineageGraph, b: LineageGraph): LineageGraph {
  const nodes = new Map(a.nodes);
  for (const [id, n] of b.nodes) if (!nodes.has(id)) nodes.set(id, n);
  return { nodes, edges: new Map([...a.edges, ...b.edges]) };
}
