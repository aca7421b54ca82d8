import { mapSchema, MapperKind } from '@graphql-tools/utils';
import {
  GraphQLEnumType,
  GraphQLInterfaceType,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLUnionType,
  OperationTypeNode,
  isEnumType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  isUnionType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

/**
 * The in-process subschemas executed in place.
 *
 * `stitchSchemas` answers a query by delegation: each root field and each merged field is
 * rewritten into a request of its own, executed against its subschema, and its result walked
 * again by the gateway's execution. For subschemas that live in this process (ours: provenance,
 * knowledge, documents, objects), that is fixed CPU with nothing to show for it: a model card paid
 * about 3 ms of it on a 2-core machine, more than all of its in-process store reads. Here the
 * stitched schema gives only the shape (types, fields, descriptions: the public schema is the same),
 * and every field gets the resolver its own subschema has, so one graphql-js execution walks the
 * whole operation. A merged field (e.g. `DataReference.object`) then resolves from the object the
 * provenance resolver returned, as soon as it is returned, through the request's dataloaders: one
 * store call per query level and store, as with batched merges. A store that fails throws its typed
 * error in its own field, so it still costs only that field.
 *
 * The first subschema that has a field owns it (provenance first: `DataReference.uri` is ours, the
 * store subschemas only repeat the key). Abstract types, scalars and enums take the behaviour
 * (resolveType, isTypeOf, serialize/parse, internal values) of their first subschema, so resolvers
 * receive and return exactly what they would in their own schema.
 */
export function resolveInPlace(shape: GraphQLSchema, subschemas: readonly GraphQLSchema[]): GraphQLSchema {
  const rootNames = new Map<string, OperationTypeNode>();
  for (const op of [OperationTypeNode.QUERY, OperationTypeNode.MUTATION, OperationTypeNode.SUBSCRIPTION]) {
    const root = shape.getRootType(op);
    if (root) rootNames.set(root.name, op);
  }
  // The same type in a subschema; root types are found by operation, whatever they are named.
  const typesNamed = (name: string): GraphQLNamedType[] => {
    const op = rootNames.get(name);
    return subschemas.flatMap((s) => {
      const t = op ? s.getRootType(op) : s.getType(name);
      return t ? [t] : [];
    });
  };
  const first = <T extends GraphQLNamedType>(name: string, is: (t: unknown) => t is T): T | undefined =>
    typesNamed(name).find(is);

  return mapSchema(shape, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const owner = typesNamed(typeName)
        .filter(isObjectType)
        .map((t) => t.getFields()[fieldName])
        .find((f) => f !== undefined);
      if (!owner) throw new Error(`in-place gateway: no subschema has ${typeName}.${fieldName}`);
      return { ...fieldConfig, resolve: owner.resolve, subscribe: owner.subscribe };
    },
    [MapperKind.OBJECT_TYPE]: (type) => {
      const own = first(type.name, isObjectType);
      return own?.isTypeOf ? new GraphQLObjectType({ ...type.toConfig(), isTypeOf: own.isTypeOf }) : type;
    },
    [MapperKind.INTERFACE_TYPE]: (type) => {
      const own = first(type.name, isInterfaceType);
      return own?.resolveType ? new GraphQLInterfaceType({ ...type.toConfig(), resolveType: own.resolveType }) : type;
    },
    [MapperKind.UNION_TYPE]: (type) => {
      const own = first(type.name, isUnionType);
      return own?.resolveType ? new GraphQLUnionType({ ...type.toConfig(), resolveType: own.resolveType }) : type;
    },
    [MapperKind.SCALAR_TYPE]: (type) => {
      if (isSpecifiedScalarType(type)) return type;
      const own = first(type.name, isScalarType);
      if (!own) return type;
      const { serialize, parseValue, parseLiteral } = own.toConfig();
      return new GraphQLScalarType({ ...type.toConfig(), serialize, parseValue, parseLiteral });
    },
    [MapperKind.ENUM_TYPE]: (type) => {
      const own = first(type.name, isEnumType);
      if (!own) return type;
      const config = type.toConfig();
      const values = Object.fromEntries(
        Object.entries(config.values).map(([name, v]) => [name, { ...v, value: own.getValue(name)?.value ?? v.value }]),
      );
      return new GraphQLEnumType({ ...config, values });
    },
  });
}
