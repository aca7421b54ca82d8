import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An access token (docs/access-control.md); its secret is never shown after creation.' })
export class ApiToken {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  owner!: string | null;

  @Field(() => [String], { description: 'read, ingest, register, admin (admin implies the others).' })
  scopes!: string[];

  @Field(() => [String], { nullable: true, description: 'Study ids the token is limited to; null: every study.' })
  studies!: string[] | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Last use, to the minute.' })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType({ description: 'A token just created, with its text: shown this once only.' })
export class CreatedApiToken {
  @Field(() => ApiToken)
  token!: ApiToken;

  @Field({ description: 'The bearer token (pml_<id>_<secret>); store it now, it cannot be shown again.' })
  secret!: string;
}

@InputType()
export class ApiTokenInput {
  @Field({ description: 'Unique name, shown in the audit log.' })
  name!: string;

  @Field(() => String, { nullable: true })
  owner?: string | null;

  @Field(() => [String], { description: 'read, ingest, register, admin.' })
  scopes!: string[];

  @Field(() => [String], { nullable: true, description: 'Limit to these study ids; absent: every study.' })
  studies?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Days until it expires; absent: never.' })
  expiresInDays?: number | null;
}
