import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { KnowledgeDescription, KnowledgeStatement, RdfTerm } from '../../connectors/knowledge/knowledge-store';
import { RDFS_LABEL } from '../../connectors/knowledge/knowledge-store';
import { firstAnswer, type RefKey } from '../../connectors/store.loaders';
import type { RequestContext } from '../../context';
import { expandPredicate } from './predicates';
import { SPARQL_FIELD_SDL, SPARQL_TYPES_SDL, sparqlResolvers } from './sparql-field';

/** The merge entry of the knowledge subschema (underscore: filtered out of the public schema). */
export const KNOWLEDGE_MERGE_FIELD = '_knowledgeByRefs';

const typeDefs = /* GraphQL */ `
  input DataReferenceKeyInput { uri: String! store: String! }

  type Query {
    ${KNOWLEDGE_MERGE_FIELD}(refs: [DataReferenceKeyInput!]!): [DataReference]!
    ${SPARQL_FIELD_SDL}
  }

  ${SPARQL_TYPES_SDL}

  type DataReference {
    uri: String!
    store: String!
    "Domain knowledge about the referenced data from the knowledge stores (RDF), or null when none describes it."
    knowledge: KnowledgeResource
  }

  "An RDF resource described by a knowledge store (SPARQL endpoint or embedded Oxigraph)."
  type KnowledgeResource {
    "The IRI described: the reference URI after the store's uriMap."
    iri: String!
    "Id of the knowledge store (DataStoreInstance) that answered."
    store: String!
    "rdfs:label of the resource, if any."
    label: String
    "True when the store's row cap cut the description short."
    truncated: Boolean!
    "Statements about the resource; \`predicate\` (a full IRI or a prefixed name such as pml:basin) keeps one predicate."
    statements(predicate: String): [KnowledgeStatement!]!
    "The first object of \`predicate\`: the rdfs:label of an IRI object when it has one, else its value."
    value(predicate: String!): String
    "Every object of \`predicate\`, labelled as in \`value\`."
    values(predicate: String!): [String!]!
  }

  type KnowledgeStatement {
    predicate: String!
    object: RdfTerm!
    "rdfs:label of an IRI object, if the store has one."
    objectLabel: String
  }

  "An RDF term: IRI, BNODE or LITERAL (with datatype and language)."
  type RdfTerm {
    kind: String!
    value: String!
    datatype: String
    language: String
  }
`;

type Resource = KnowledgeDescription & { store: string };

const ABSOLUTE_IRI = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** `DataReference.knowledge`: the first knowledge store (config order) that describes the reference's IRI. */
export async function readKnowledge(ref: RefKey, ctx: RequestContext): Promise<Resource | null> {
  const registry = ctx.registry;
  if (!registry) return null;
  const ids = registry.withRole('knowledge').map((s) => s.id);
  const hit = await firstAnswer(ids, async (id) => {
    const iri = registry.keyFor(id, ref.uri);
    // A path that no uriMap turns into an IRI cannot name an RDF resource: nothing to ask.
    return ABSOLUTE_IRI.test(iri) ? ctx.storeLoaders.knowledge(id).load(iri) : null;
  });
  return hit ? { ...hit.value, store: hit.storeId } : null;
}

const pick = (d: Resource, predicate: string) => {
  const iri = expandPredicate(predicate);
  return d.statements.filter((s) => s.predicate === iri);
};
const shown = (s: KnowledgeStatement) => s.objectLabel ?? s.object.value;

export function buildKnowledgeSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs,
    resolvers: {
      Query: {
        [KNOWLEDGE_MERGE_FIELD]: (_: unknown, args: { refs: RefKey[] }) => args.refs.map((r) => ({ uri: r.uri, store: r.store })),
        sparql: sparqlResolvers.query,
      },
      SparqlResult: sparqlResolvers.SparqlResult,
      SparqlRow: sparqlResolvers.SparqlRow,
      DataReference: {
        knowledge: (ref: RefKey, _: unknown, ctx: RequestContext) => readKnowledge(ref, ctx),
      },
      KnowledgeResource: {
        iri: (d: Resource) => d.uri,
        label: (d: Resource) =>
          d.statements.find((s) => s.predicate === RDFS_LABEL && s.object.type === 'literal')?.object.value ?? null,
        statements: (d: Resource, args: { predicate?: string | null }) =>
          args.predicate ? pick(d, args.predicate) : d.statements,
        value: (d: Resource, args: { predicate: string }) => {
          const first = pick(d, args.predicate)[0];
          return first ? shown(first) : null;
        },
        values: (d: Resource, args: { predicate: string }) => pick(d, args.predicate).map(shown),
      },
      RdfTerm: {
        kind: (t: RdfTerm) => t.type.toUpperCase(),
        datatype: (t: RdfTerm) => (t.type === 'literal' ? t.datatype : null),
        language: (t: RdfTerm) => (t.type === 'literal' ? t.language : null),
      },
    },
  });
}
