import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { exportToString, parseFormat, parseScope } from '../../interop/export-document';

@Resolver()
export class ExportResolver {
  @Query(() => String, {
    description:
      'The provenance as one document: PROV-JSON (W3C submission), Turtle or JSON-LD (PROV-O with the PROV-ML vocabulary https://w3id.org/provml/ns#), DOT or SVG; of the whole store, one run, or the backward lineage of one entity URI. Large stores: use GET /prov, which streams.',
  })
  async provDocument(
    @Ctx() ctx: RequestContext,
    @Arg('format', () => String, { defaultValue: 'prov-json', description: 'prov-json, turtle, jsonld, dot or svg.' })
    format: string,
    @Arg('run', () => String, { nullable: true }) run: string | null,
    @Arg('entity', () => String, { nullable: true, description: 'A data URI: export its lineage.' }) entity: string | null,
    @Arg('depth', () => Int, { nullable: true }) depth: number | null,
  ): Promise<string> {
    return exportToString(ctx.store, parseScope(run, entity, depth), parseFormat(format), {
      maxDepth: ctx.config.lineageMaxDepth,
      nodeCap: ctx.config.lineageNodeCap,
    });
  }
}
