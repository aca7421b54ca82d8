import { makeExecutableSchema } from '@graphql-tools/schema';
import { graphql, GraphQLError, GraphQLScalarType, Kind, printSchema } from 'graphql';
import { buildGatewaySchema } from '../../src/schema/stitch';

// Two small in-process subschemas with what a stitched shape loses and in-place execution needs
// back: enum internal values, a custom scalar's serialize/parse, an interface's resolveType, and a
// merged type whose field lives in the second subschema.
const Upper = new GraphQLScalarType({
  name: 'Upper',
  serialize: (v) => String(v).toUpperCase(),
  parseValue: (v) => String(v).toLowerCase(),
  parseLiteral: (ast) => (ast.kind === Kind.STRING ? ast.value.toLowerCase() : null),
});

let resolvedBy: string[] = [];
const main = makeExecutableSchema({
  typeDefs: /* GraphQL */ `
    scalar Upper
    enum Role {
      LEARNING_HYPERPARAMETER
      MODEL_REFERENCE
    }
    interface Node {
      id: ID!
    }
    type Item implements Node {
      id: ID!
      uri: String!
      role: Role!
      tag: Upper
    }
    type Query {
      item(role: Role!, tag: Upper): Item
      node(id: ID!): Node
    }
  `,
  resolvers: {
    Upper,
    Role: { LEARNING_HYPERPARAMETER: 'hp', MODEL_REFERENCE: 'model' },
    Node: { __resolveType: () => 'Item' },
    Query: {
      item: (_: unknown, args: { role: string; tag: string | null }) => {
        resolvedBy.push('main.item');
        // The resolver sees internal values: 'model', and a lower-cased tag.
        return { id: '1', uri: `/m/${args.role}`, role: args.role, tag: args.tag };
      },
      node: (_: unknown, args: { id: string }) => ({ id: args.id, uri: '/n', role: 'hp', tag: null }),
    },
  },
});
const extra = makeExecutableSchema({
  typeDefs: /* GraphQL */ `
    input Key {
      uri: String!
    }
    type Item {
      uri: String!
      size: Int
    }
    type Query {
      _itemsByKeys(keys: [Key!]!): [Item]!
    }
  `,
  resolvers: {
    Query: { _itemsByKeys: () => [] },
    Item: {
      size: (item: { uri: string }) => {
        resolvedBy.push('extra.size');
        if (item.uri === '/n') throw new GraphQLError('store down', { extensions: { code: 'STORE_UNAVAILABLE' } });
        return item.uri.length;
      },
    },
  },
});
const merge = {
  Item: {
    selectionSet: '{ uri }',
    fieldName: '_itemsByKeys',
    key: ({ uri }: { uri: string }) => ({ uri }),
    argsFromKeys: (keys: readonly unknown[]) => ({ keys }),
  },
};

describe('the in-process subschemas executed in place', () => {
  const gateway = buildGatewaySchema([
    { name: 'main', schema: main },
    { name: 'extra', schema: extra, batch: true, merge },
  ]);

  beforeEach(() => {
    resolvedBy = [];
  });

  it('keeps the stitched shape without the private merge fields', () => {
    const sdl = printSchema(gateway);
    expect(sdl).toContain('size: Int');
    expect(sdl).not.toContain('_itemsByKeys');
    expect(sdl).not.toContain('input Key');
  });

  it("answers every field with its own subschema's resolver, enums, scalars and abstract types as there", async () => {
    const res = await graphql({
      schema: gateway,
      source: `{ item(role: MODEL_REFERENCE, tag: "AbC") { uri role tag size } node(id: "2") { id ... on Item { role } } }`,
    });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({
      item: { uri: '/m/model', role: 'MODEL_REFERENCE', tag: 'ABC', size: 8 },
      node: { id: '2', role: 'LEARNING_HYPERPARAMETER' },
    });
    // No delegation: the merged field resolved from the main resolver's own object, the merge
    // entry (_itemsByKeys) was never called.
    expect(resolvedBy).toEqual(['main.item', 'extra.size']);
  });

  it('costs a failing field only that field, with its error at its path', async () => {
    const res = await graphql({ schema: gateway, source: `{ node(id: "3") { id ... on Item { uri size } } }` });
    expect(res.data).toEqual({ node: { id: '3', uri: '/n', size: null } });
    expect(res.errors?.map((e) => [e.path, e.extensions.code])).toEqual([[['node', 'size'], 'STORE_UNAVAILABLE']]);
  });
});
