import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

export type OperationKind = 'query' | 'mutation' | 'subscription';

export interface RootSelection {
  operation: OperationKind;
  /** Root field names, each once, through fragments and inline fragments; @skip/@include ignored (counted). */
  fields: string[];
}

/**
 * The operation a request runs (by operationName, or the only one) and its root fields; null when
 * the document names no such operation (GraphQL execution refuses it then too).
 */
export function rootSelection(doc: DocumentNode, operationName?: string | null): RootSelection | null {
  const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
  if (!op) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const fields = new Set<string>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) fields.add(sel.name.value);
      else if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet);
      else if (!seen.has(sel.name.value)) {
        // A cycle of fragments is a validation error; here it must only not loop.
        seen.add(sel.name.value);
        const f = fragments.get(sel.name.value);
        if (f) walk(f.selectionSet);
      }
    }
  };
  walk(op.selectionSet);
  return { operation: op.operation as OperationKind, fields: [...fields] };
}
