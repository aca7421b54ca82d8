import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../prov/node.interface';

export enum LineageDirectionEnum {
  BACKWARD = 'BACKWARD',
  FORWARD = 'FORWARD',
  BOTH = 'BOTH',
}
registerEnumType(LineageDirectionEnum, {
  name: 'LineageDirection',
  description: 'BACKWARD follows PROV edges towards causes (model -> dataset -> raw file); FORWARD towards effects.',
});

export enum EdgeKindEnum {
  USED = 'USED',
  WAS_GENERATED_BY = 'WAS_GENERATED_BY',
  WAS_DERIVED_FROM = 'WAS_DERIVED_FROM',
  WAS_INFORMED_BY = 'WAS_INFORMED_BY',
  WAS_ASSOCIATED_WITH = 'WAS_ASSOCIATED_WITH',
  HAD_MEMBER = 'HAD_MEMBER',
  WAS_PART_OF = 'WAS_PART_OF',
}
registerEnumType(EdgeKindEnum, {
  name: 'EdgeKind',
  description: 'W3C PROV relations; WAS_PART_OF nests a task in its parent task or run (ProvLake hasPart).',
});

@ObjectType({ simpleResolvers: true, description: 'A node reached by a lineage traversal.' })
export class LineageNode {
  @Field(() => Node)
  node!: Node;

  @Field(() => Int, { description: 'Edges from the start node.' })
  depth!: number;
}

@ObjectType({ simpleResolvers: true, description: 'A PROV edge, oriented as PROV writes it: from the effect to the cause.' })
export class LineageEdge {
  @Field(() => EdgeKindEnum)
  kind!: EdgeKindEnum;
  @Field(() => ID)
  from!: string;
  @Field(() => ID)
  to!: string;
  @Field(() => Int)
  depth!: number;
}

@ObjectType({ description: 'The result of Query.lineage: a bounded PROV subgraph around a start node.' })
export class Lineage {
  @Field(() => [LineageNode])
  nodes!: LineageNode[];
  @Field(() => [LineageEdge])
  edges!: LineageEdge[];
  @Field(() => Int, { description: 'Deepest level reached.' })
  depth!: number;
  @Field(() => Int, {
    description:
      'Edges not followed because they lead out of the studies the access token is limited to: the lineage stops at that boundary (always 0 for a token of every study).',
  })
  studyBoundaryEdges!: number;
}
