import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../context';
import { Node } from '../../schema/prov/node.interface';
import { loadNode } from './views';

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Any object by its global id (`run:<id>`, `task:<id>`, `ref:<n>`, ...).' })
  node(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return loadNode(ctx, id);
  }
}
