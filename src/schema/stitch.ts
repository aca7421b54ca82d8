import type { SubschemaConfig } from '@graphql-tools/delegate';
import { stitchSchemas } from '@graphql-tools/stitch';
import { filterSchema, pruneSchema } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { buildDocumentsSchema, DOCUMENTS_MERGE_FIELD } from '../resolvers/documents/documents.subschema';
import { buildKnowledgeSchema, KNOWLEDGE_MERGE_FIELD } from '../resolvers/knowledge/knowledge.subschema';
import { buildObjectsSchema, OBJECTS_MERGE_FIELD } from '../resolvers/objects/objects.subschema';
import { remoteSubschemaConfig, type RemoteSubschema } from '../resolvers/remote/remote.subschema';
import { buildProvenanceSchema } from './build-schema';

/**
 * The stitched gateway: the provenance subschema (ours) plus one subschema per kind of user
 * store. `DataReference` is a merged type keyed by `{ uri store }`: each store subschema adds
 * one nullable field (`knowledge`, `document`, `object`) through a batched, underscore-prefixed
 * root field, so one query level costs one delegation per store subschema whatever the number
 * of references, and the connector reads under it go through per-request dataloaders.
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
 * Stitches the subschemas and filters the private merge entries out of the public schema
 * (the merges still reach them: merged-type resolvers delegate to the subschemas directly).
 */
export function buildGatewaySchema(configs: SubschemaConfig[]): GraphQLSchema {
  const stitched = stitchSchemas({
    subschemas: configs,
    // The provenance subschema documents uri and store; store subschemas repeat them as bare keys.
    typeMergingOptions: {
      typeDescriptionsMerger: (candidates) => candidates.find((c) => c.type.description)?.type.description ?? null,
      fieldConfigMerger: (candidates) => (candidates.find((c) => c.fieldConfig.description) ?? candidates[candidates.length - 1]).fieldConfig,
    },
  });
  return pruneSchema(
    filterSchema({
      schema: stitched,
      rootFieldFilter: (_operation, fieldName) => !isPrivateField(fieldName),
      fieldFilter: (_typeName, fieldName) => !isPrivateField(fieldName),
    }),
  );
}

let cached: GraphQLSchema | null = null;

/** The gateway without remote stores, built once per process (type-graphql metadata is global). */
export function defaultGatewaySchema(): GraphQLSchema {
  if (!cached) cached = buildGatewaySchema(buildSubschemaConfigs());
  return cached;
}
