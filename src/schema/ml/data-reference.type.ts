import { Field, ObjectType } from 'type-graphql';
import { JSONScalar } from '../scalars';
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

  @Field({ description: 'True when provml reads this store (its configuration); false when a client only declared it.' })
  configured!: boolean;

  @Field(() => String, { nullable: true, description: 'The name a client declared in the ProvLake data-store catalog.' })
  name!: string | null;

  @Field(() => String, { nullable: true, description: 'The store type a client declared, e.g. Lustre, AWSS3, PostgreSQL.' })
  declaredType!: string | null;

  @Field(() => JSONScalar, {
    nullable: true,
    description: 'What else the declaration carried (url, bucket, host_address, custom_metadata).',
  })
  declaredAttributes!: Record<string, unknown> | null;
}
