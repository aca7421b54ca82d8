import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import type { EdgeKind, LineageEdge as StoreEdge } from '../../connectors/provenance/provenance-store';
import { LimitExceededError, LineageCapExceededError, NotFoundError } from '../../errors';
import { EdgeKindEnum, Lineage, LineageDirectionEnum } from '../../schema/ml/lineage.types';
import { findDataRefs } from '../../connectors/provenance/id-lookup';
import { parseGlobalId } from '../../schema/views';
import { loadNode } from './views';
import { StudyScopedStore } from '../../auth/study-scoped-store';

const NODE_KINDS = new Set(['ref', 'task', 'run', 'agent']);

@Resolver()
export class LineageResolver {
  @Query(() => Lineage, {
    description:
      'The PROV subgraph around `start` (a global id, or a data URI), level by level up to maxDepth. Deep lineage goes through this bounded field, not through nesting.',
  })
  async lineage(
    @Ctx() ctx: RequestContext,
    @Arg('start') start: string,
    @Arg('direction', () => LineageDirectionEnum, { defaultValue: LineageDirectionEnum.BACKWARD })
    direction: LineageDirectionEnum,
    @Arg('maxDepth', () => Int, { defaultValue: 10 }) maxDepth: number,
    @Arg('edgeKinds', () => [EdgeKindEnum], { nullable: true }) edgeKinds: EdgeKindEnum[] | null,
    @Arg('nodeCap', () => Int, { nullable: true }) nodeCap: number | null,
  ): Promise<Lineage> {
    if (maxDepth < 0 || maxDepth > ctx.config.lineageMaxDepth) {
      throw new LimitExceededError('lineage maxDepth', ctx.config.lineageMaxDepth, maxDepth);
    }
    const cap = nodeCap ?? ctx.config.lineageNodeCap;
    if (cap < 1 || cap > ctx.config.lineageNodeCap)
      throw new LimitExceededError('lineage nodeCap', ctx.config.lineageNodeCap, cap);
    const kinds = new Set<EdgeKind>((edgeKinds ?? Object.values(EdgeKindEnum)) as EdgeKind[]);

    let frontier: string[];
    const g = parseGlobalId(start);
    if (g && NODE_KINDS.has(g.kind)) {
      if (!(await loadNode(ctx, start))) throw new NotFoundError('node', start);
      frontier = [start];
    } else {
      // A data URI, or a value's `value:<n>` that references data (the ids results carry).
      const refs = await findDataRefs(ctx.store, start);
      if (!refs.length) throw new NotFoundError('data reference', start);
      frontier = refs.map((r) => `ref:${r.id}`);
    }

    // A study-limited token's store leaves out edges that cross its studies' boundary, and counts them.
    const scope = ctx.store instanceof StudyScopedStore ? ctx.store.scope : null;
    const boundaryBefore = scope?.boundaryEdges ?? 0;
    const depthOf = new Map(frontier.map((n) => [n, 0]));
    const edges: Array<StoreEdge & { depth: number }> = [];
    const seenEdges = new Set<string>();
    const dirs = direction === 'BOTH' ? (['BACKWARD', 'FORWARD'] as const) : ([direction] as const);
    let depth = 0;
    while (frontier.length && depth < maxDepth) {
      depth += 1;
      const next: string[] = [];
      for (const dir of dirs) {
        for (const e of await ctx.store.lineageStep(frontier, dir, kinds)) {
          const key = `${e.kind}|${e.from}|${e.to}`;
          if (seenEdges.has(key)) continue;
          seenEdges.add(key);
          edges.push({ ...e, depth });
          const other = dir === 'BACKWARD' ? e.to : e.from;
          if (!depthOf.has(other)) {
            depthOf.set(other, depth);
            next.push(other);
            if (depthOf.size > cap) throw new LineageCapExceededError(cap, depth);
          }
        }
      }
      frontier = next;
    }
    const nodes = await Promise.all([...depthOf.entries()].map(async ([id, d]) => ({ node: await loadNode(ctx, id), depth: d })));
    return {
      nodes: nodes.filter((n): n is { node: NonNullable<typeof n.node>; depth: number } => n.node !== null),
      edges: edges.map((e) => ({ kind: e.kind as EdgeKindEnum, from: e.from, to: e.to, depth: e.depth })),
      depth: Math.max(0, ...[...depthOf.values()]),
      studyBoundaryEdges: (scope?.boundaryEdges ?? 0) - boundaryBefore,
    };
  }
}
