import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { planOf } from '../../src/schema/store-prefetch';

const STORE_FIELDS = ['object', 'knowledge', 'document'];

function plan(query: string) {
  const doc = parse(query);
  const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  return Object.fromEntries(planOf(operation, fragments, STORE_FIELDS));
}

describe('store prefetch plan', () => {
  it('names, per path below the root field, the store fields selected there', () => {
    expect(
      plan(`{
        model(uri: "/m") {
          name
          reference { uri object { size } }
          datasets { dataReference { uri wasDerivedFrom { object { size } knowledge { iri } document { id } } } }
        }
      }`),
    ).toEqual({
      '.reference': ['object'],
      '.datasets.dataReference.wasDerivedFrom': ['object', 'knowledge', 'document'],
    });
  });

  it('keys paths by response key (aliases), through inline and named fragments', () => {
    expect(
      plan(`
        query Card { m: model(uri: "/m") { ref: reference { ...Stored } ... on Model { datasets { set: dataReference { knowledge { iri } } } } } }
        fragment Stored on DataReference { object { size } ... on DataReference { document { id } } }
      `),
    ).toEqual({ '.ref': ['object', 'document'], '.datasets.set': ['knowledge'] });
  });

  it('plans a root field that returns a reference, and nothing for scalar fields of the same names', () => {
    expect(plan(`{ dataReference(uri: "/d") { object { size } } dataStores { id document: kind } }`)).toEqual({
      '': ['object'],
    });
  });

  it('stops at a cycle of fragment spreads (left to validation to refuse)', () => {
    expect(plan(`{ node(id: "x") { ...A } } fragment A on Node { ...B } fragment B on Node { ...A }`)).toEqual({});
  });

  it('is made once per parsed operation', () => {
    const doc = parse(`{ dataReference(uri: "/d") { object { size } } }`);
    const op = doc.definitions[0] as OperationDefinitionNode;
    expect(planOf(op, {}, STORE_FIELDS)).toBe(planOf(op, {}, STORE_FIELDS));
  });
});
