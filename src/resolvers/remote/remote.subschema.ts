import type { SubschemaConfig } from '@graphql-tools/delegate';
import { schemaFromExecutor } from '@graphql-tools/wrap';
import type { GraphQLSchema } from 'graphql';
import { z } from 'zod';
import type { StoreRegistry } from '../../connectors/store-registry';
import type { Logger } from '../../logger';
import { remoteExecutor, type RemoteEndpoint } from './remote-executor';

/**
 * `options` of a `graphql` store entry: for each type the remote adds fields to, the batched root
 * field that returns it by key, e.g.
 * `{ "merge": { "DataReference": { "fieldName": "_catalogByUris", "keyField": "uri", "argName": "uris" } } }`.
 * The remote field takes a list of keys and returns a list in key order (null where unknown).
 */
const MergeSchema = z
  .object({
    fieldName: z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/),
    keyField: z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/),
    argName: z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/),
  })
  .strict();
export const RemoteOptionsSchema = z
  .object({ merge: z.record(z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/), MergeSchema).default({}) })
  .strict();
export type RemoteOptions = z.infer<typeof RemoteOptionsSchema>;

/** A remote GraphQL store ready to be stitched: its introspected schema, executor and merge keys. */
export interface RemoteSubschema {
  id: string;
  schema: GraphQLSchema;
  endpoint: RemoteEndpoint;
  options: RemoteOptions;
}

/** SubschemaConfig of one remote: batched merges keyed by the configured field. */
export function remoteSubschemaConfig(remote: RemoteSubschema): SubschemaConfig {
  const merge: NonNullable<SubschemaConfig['merge']> = {};
  for (const [typeName, m] of Object.entries(remote.options.merge)) {
    merge[typeName] = {
      selectionSet: `{ ${m.keyField} }`,
      fieldName: m.fieldName,
      key: (obj: Record<string, unknown>) => obj[m.keyField],
      argsFromKeys: (keys: readonly unknown[]) => ({ [m.argName]: keys }),
    };
  }
  return { name: remote.id, schema: remote.schema, executor: remoteExecutor(remote.endpoint), batch: true, merge };
}

/**
 * Introspects every `graphql` store of the registry once, at start-up. A remote that cannot be
 * introspected is left out with a warning (its fields are not in the schema until a restart);
 * a remote that goes down later costs only its own fields.
 */
export async function loadRemoteSubschemas(registry: StoreRegistry | undefined, log?: Logger): Promise<RemoteSubschema[]> {
  const out: RemoteSubschema[] = [];
  for (const store of registry?.withRole('graphql') ?? []) {
    const parsed = RemoteOptionsSchema.safeParse(store.options);
    if (!parsed.success) {
      throw new Error(
        `store ${store.id}: options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const endpoint: RemoteEndpoint = {
      id: store.id,
      endpoint: store.endpoint,
      headers: store.headers,
      timeoutMs: registry!.timeoutOf(store.id),
    };
    try {
      const schema = await schemaFromExecutor(remoteExecutor(endpoint));
      out.push({ id: store.id, schema, endpoint, options: parsed.data });
    } catch (err) {
      log?.warn('remote GraphQL store left out: introspection failed', { store: store.id, error: (err as Error).message });
    }
  }
  return out;
}
