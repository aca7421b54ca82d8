import type { SubschemaConfig } from '@graphql-tools/delegate';
import { stitchSchemas } from '@graphql-tools/stitch';
import { filterSchema, mapSchema, MapperKind, pruneSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { buildDocumentsSchema, DOCUMENTS_MERGE_FIELD } from '../resolvers/documents/documents.subschema';
import { buildKnowledgeSchema, KNOWLEDGE_MERGE_FIELD } from '../resolvers/knowledge/knowledge.subschema';
import { buildObjectsSchema, OBJECTS_MERGE_FIELD } from '../resolvers/objects/objects.subschema';
import { remoteSubschemaConfig, type RemoteSubschema } from '../resolvers/remote/remote.subschema';
import type { RequestContext } from '../context';
import { buildProvenanceSchema } from './build-schema';
import { resolveInPlace } from './in-place';

/**
 * The stitched gateway: the provenance subschema (ours) plus one subschema per kind of user
 * store. `DataReference` is a merged type keyed by `{ uri store }`: each store subschema adds
 * one nullable field (`knowledge`, `document`, `object`); its merge entry is an underscore-prefixed
 * batched root field, which only a stitched (delegating) execution would use: in place
 * (in-place.ts) the field resolves from the provenance row itself, and the connector reads under
 * it go through per-request dataloaders, so one query level costs one call per store whatever
 * the number of references.
 * The store subschemas find their stores in the request context (ctx.registry), so the schema
 * is the same whatever stores are configured; only remote GraphQL stores add types.
 */
export interface GatewayDeps {
  /** Remote GraphQL stores, introspected at start-up (loadRemoteSubschemas). */
  remotes?: readonly RemoteSubschema[];
}

const refMerge = (fieldName: string) => ({
  DataReference: {
    selectionSet: '{ uri store }',
    fieldName,
    key: ({ uri, store }: { uri: string; store: string }) => ({ uri, store }),
    argsFromKeys: (refs: readonly unknown[]) => ({ refs }),
  },
});

/** The subschemas of the gateway, in merge order (provenance first: its descriptions win). */
export function buildSubschemaConfigs(deps: GatewayDeps = {}): SubschemaConfig[] {
  return [
    { name: 'provenance', schema: buildProvenanceSchema() },
    { name: 'knowledge', schema: buildKnowledgeSchema(), batch: true, merge: refMerge(KNOWLEDGE_MERGE_FIELD) },
    { name: 'documents', schema: buildDocumentsSchema(), batch: true, merge: refMerge(DOCUMENTS_MERGE_FIELD) },
    { name: 'objects', schema: buildObjectsSchema(), batch: true, merge: refMerge(OBJECTS_MERGE_FIELD) },
    ...(deps.remotes ?? []).map(remoteSubschemaConfig),
  ];
}

/** True for fields that exist only for the gateway's merges. */
export const isPrivateField = (name: string) => name.startsWith('_');

/**
 * The gateway. The in-process subschemas (those without an executor) are stitched for their
 * shape and executed in place (in-place.ts): no delegation between them. Remote GraphQL stores,
 * where configured, are stitched around that one local schema and reached by delegation.
 * The private merge entries are filtered out of the public schema.
 */
export function buildGatewaySchema(configs: SubschemaConfig[]): GraphQLSchema {
  const locals = configs.filter((c) => !c.executor);
  const remotes = configs.filter((c) => c.executor);
  const local = resolveInPlace(
    publicOf(stitch(locals)),
    locals.map((c) => c.schema),
  );
  if (!remotes.length) return local;
  const withRemotes = [{ name: 'local', schema: local }, ...remotes];
  const merged = new Set(remotes.flatMap((c) => Object.keys(c.merge ?? {})));
  return publicOf(wrapGatewayFields(stitch(withRemotes), merged));
}

function stitch(subschemas: SubschemaConfig[]): GraphQLSchema {
  return stitchSchemas({
    subschemas,
    // The provenance subschema documents uri and store; store subschemas repeat them as bare keys.
    typeMergingOptions: {
      typeDescriptionsMerger: (candidates) => candidates.find((c) => c.type.description)?.type.description ?? null,
      fieldConfigMerger: (candidates) =>
        (candidates.find((c) => c.fieldConfig.description) ?? candidates[candidates.length - 1]).fieldConfig,
    },
  });
}

/** Without the fields that exist only for the gateway's merges. */
function publicOf(schema: GraphQLSchema): GraphQLSchema {
  return pruneSchema(
    filterSchema({
      schema,
      rootFieldFilter: (_operation, fieldName) => !isPrivateField(fieldName),
      fieldFilter: (_typeName, fieldName) => !isPrivateField(fieldName),
    }),
  );
}

/**
 * Remote merges (delegated) of objects inside a list are resolved once for the whole list, so the
 * stitcher gives a store's error the list's path without the item index (`wasDerivedFrom.catalog`).
 * Returning the error without a path lets graphql-js place it at the field's real path
 * (`wasDerivedFrom.0.catalog`); message and extensions (code, store) are kept.
 */
function wrapGatewayFields(schema: GraphQLSchema, mergedTypes: ReadonlySet<string>): GraphQLSchema {
  const unpath = (value: unknown): unknown =>
    value instanceof GraphQLError && value.path
      ? new GraphQLError(value.message, {
          nodes: value.nodes,
          originalError: value.originalError ?? undefined,
          extensions: value.extensions,
        })
      : value;
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, _fieldName, typeName) => {
      if (!mergedTypes.has(typeName)) return fieldConfig;
      const resolve: GraphQLFieldResolver<unknown, RequestContext> = fieldConfig.resolve ?? defaultFieldResolver;
      return {
        ...fieldConfig,
        resolve: (source, args, context, info) => {
          const out = resolve(source, args, context, info);
          return out instanceof Promise ? out.then(unpath) : unpath(out);
        },
      };
    },
  });
}

let cached: GraphQLSchema | null = null;

/** The gateway without remote stores, built once per process (type-graphql metadata is global). */
export function defaultGatewaySchema(): GraphQLSchema {
  if (!cached) cached = buildGatewaySchema(buildSubschemaConfigs());
  return cached;
}
