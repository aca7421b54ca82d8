import { Field, ObjectType } from 'type-graphql';
import type { DataRefRow } from '../../connectors/provenance/rows';
import { Entity } from '../prov/entity.interface';
import { Node } from '../prov/node.interface';

@ObjectType({
  implements: [Entity, Node],
  description:
    'A reference into a user store (file, object, document, knowledge-graph node): the prov:Entity that PROV-ML *ReferenceValues point at.',
})
export class DataReference extends Entity {
  @Field({ description: 'The URI as the job wrote it, e.g. /data/netherlands.sgy or s3://bucket/key.' })
  uri!: string;

  @Field({ description: 'Id of the PROV-ML DataStoreInstance that holds it.' })
  store!: string;

  @Field()
  firstSeenAt!: Date;

  row!: DataRefRow;
}

@ObjectType({ description: 'PROV-ML DataStoreInstance: a store that holds referenced data.' })
export class DataStoreInstance {
  @Field()
  id!: string;

  @Field(() => String, { nullable: true, description: 'sparql, mongodb, s3, fs or graphql, when configured.' })
  kind!: string | null;
}
