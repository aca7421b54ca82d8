import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { StoredDocument } from '../../connectors/documents/document-store';
import { firstAnswer, type RefKey } from '../../connectors/store.loaders';
import type { RequestContext } from '../../context';
import { JSONScalar } from '../../schema/scalars';

/** The merge entry of the document subschema (underscore: filtered out of the public schema). */
export const DOCUMENTS_MERGE_FIELD = '_documentsByRefs';

const typeDefs = /* GraphQL */ `
  scalar JSON
  input DataReferenceKeyInput { uri: String! store: String! }

  type Query {
    ${DOCUMENTS_MERGE_FIELD}(refs: [DataReferenceKeyInput!]!): [DataReference]!
  }

  type DataReference {
    uri: String!
    store: String!
    "The document about the referenced data in the document stores (e.g. the GeoJSON polygon of a seismic cube), or null when none holds it."
    document: DomainDocument
  }

  "A JSON document of a document store (MongoDB or a GeoJSON directory)."
  type DomainDocument {
    "Id of the document store (DataStoreInstance) that answered."
    store: String!
    "Store-specific id: MongoDB _id, or <file>#<index> for files."
    id: String!
    "GeoJSON geometry (WGS84 longitude/latitude), if the document has one."
    geometry: JSON
    "The document's other fields (a GeoJSON Feature's properties)."
    properties: JSON!
    "One property by name."
    property(name: String!): JSON
  }
`;

type Doc = StoredDocument & { store: string };

/** `DataReference.document`: the first document store (config order) holding the reference's URI. */
export async function readDocument(ref: RefKey, ctx: RequestContext): Promise<Doc | null> {
  const registry = ctx.registry;
  if (!registry) return null;
  const ids = registry.withRole('documents').map((s) => s.id);
  const hit = await firstAnswer(ids, (id) => ctx.storeLoaders.documents(id).load(registry.keyFor(id, ref.uri)));
  return hit ? { ...hit.value, store: hit.storeId } : null;
}

export function buildDocumentsSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs,
    resolvers: {
      JSON: JSONScalar,
      Query: {
        [DOCUMENTS_MERGE_FIELD]: (_: unknown, args: { refs: RefKey[] }) => args.refs.map((r) => ({ uri: r.uri, store: r.store })),
      },
      DataReference: {
        document: (ref: RefKey, _: unknown, ctx: RequestContext) => readDocument(ref, ctx),
      },
      DomainDocument: {
        property: (d: Doc, args: { name: string }) => (Object.hasOwn(d.properties, args.name) ? d.properties[args.name] : null),
      },
    },
  });
}
