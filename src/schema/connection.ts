import { ClassType, Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Cursor pagination state.' })
export class PageInfo {
  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;
  @Field()
  hasNextPage!: boolean;
}

export interface ConnectionShape<T> {
  nodes: T[];
  pageInfo: PageInfo;
}

/** A cursor-paginated list of `Item` (nodes + pageInfo). */
// `Item` may be an abstract class (an interface type), hence the loose constructor type.
export function Connection<T extends object>(name: string, Item: abstract new () => T) {
  @ObjectType(name)
  class C implements ConnectionShape<T> {
    @Field(() => [Item as unknown as ClassType<T>])
    nodes!: T[];
    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }
  return C;
}
