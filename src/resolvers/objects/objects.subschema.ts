import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { ObjectMetadata } from '../../connectors/objects/object-store';
import { MAX_PRESIGN_TTL_SECONDS } from '../../connectors/objects/object-store';
import type { RequestContext } from '../../context';
import { BadUserInputError } from '../../errors';
import { DateTimeScalar, Int64Scalar, JSONScalar } from '../../schema/scalars';
import { toStoreError } from '../../connectors/store-call';
import type { RefKey } from '../../connectors/store.loaders';

/** The merge entry of the object subschema (underscore: filtered out of the public schema). */
export const OBJECTS_MERGE_FIELD = '_objectsByRefs';

const typeDefs = /* GraphQL */ `
  scalar JSON
  scalar DateTime
  scalar Int64
  input DataReferenceKeyInput { uri: String! store: String! }

  type Query {
    ${OBJECTS_MERGE_FIELD}(refs: [DataReferenceKeyInput!]!): [DataReference]!
  }

  type DataReference {
    uri: String!
    store: String!
    "Metadata of the referenced object in its own store (the reference's store id, when it is an S3 or file-system store); null when the object is missing. No object body is read."
    object: StoredObject
  }

  "Metadata of a file or object (HEAD / stat)."
  type StoredObject {
    "Id of the object store (DataStoreInstance)."
    store: String!
    "The key the store was asked for: the reference URI after the store's uriMap."
    key: String!
    "Bytes."
    size: Int64!
    "S3 ETag, or a weak tag from size and modification time on a file system."
    etag: String
    "A checksum the store keeps (e.g. S3 sha256:<base64>); never computed by reading the object."
    checksum: String
    modified: DateTime!
    contentType: String
    "User metadata (S3 x-amz-meta-*); {} on file systems."
    metadata: JSON!
    "A time-limited download URL, where the store can make one (S3); null otherwise."
    downloadUrl(ttlSeconds: Int! = 900): String
  }
`;

type Obj = ObjectMetadata & { store: string; key: string };

/** `DataReference.object`: HEAD/stat through the request's loader of the store the reference names. */
export async function readObject(ref: RefKey, ctx: RequestContext): Promise<Obj | null> {
  const store = ctx.registry?.get(ref.store);
  // Only the store the reference names can hold its object.
  if (!store || (store.kind !== 's3' && store.kind !== 'fs')) return null;
  const key = ctx.registry!.keyFor(store.id, ref.uri);
  const meta = await ctx.storeLoaders.objects(store.id).load(key);
  return meta ? { ...meta, store: store.id, key } : null;
}

export function buildObjectsSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs,
    resolvers: {
      JSON: JSONScalar,
      DateTime: DateTimeScalar,
      Int64: Int64Scalar,
      Query: {
        [OBJECTS_MERGE_FIELD]: (_: unknown, args: { refs: RefKey[] }) => args.refs.map((r) => ({ uri: r.uri, store: r.store })),
      },
      DataReference: {
        object: (ref: RefKey, _: unknown, ctx: RequestContext) => readObject(ref, ctx),
      },
      StoredObject: {
        downloadUrl: async (o: Obj, args: { ttlSeconds: number }, ctx: RequestContext) => {
          if (!Number.isInteger(args.ttlSeconds) || args.ttlSeconds < 1 || args.ttlSeconds > MAX_PRESIGN_TTL_SECONDS) {
            throw new BadUserInputError(`ttlSeconds must be between 1 and ${MAX_PRESIGN_TTL_SECONDS}`, 'ttlSeconds');
          }
          const store = ctx.registry?.get(o.store);
          if (!store || (store.kind !== 's3' && store.kind !== 'fs') || !store.objects.presign) return null;
          try {
            return await store.objects.presign(o.key, args.ttlSeconds);
          } catch (err) {
            throw toStoreError(o.store, err, ctx.registry!.timeoutOf(o.store));
          }
        },
      },
    },
  });
}
