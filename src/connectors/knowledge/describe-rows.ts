import { LimitExceededError } from '../../errors';
import type { KnowledgeDescription, KnowledgeStatement } from './knowledge-store';
import { fromRdfJs, type RdfJsTermLike } from './rdf-terms';
import { iriProblem } from './sparql-text';
import { BadUserInputError } from '../../errors';

export type DescribeRow = Partial<Record<'s' | 'p' | 'o' | 'olabel', RdfJsTermLike>>;

/** Splits a batch into the IRIs we may query and per-slot errors for the rest. */
export function partitionIris(uris: readonly string[]): { valid: string[]; errors: Map<number, Error> } {
  const errors = new Map<number, Error>();
  const valid = new Set<string>();
  uris.forEach((uri, i) => {
    const problem = iriProblem(uri);
    if (problem) errors.set(i, new BadUserInputError(`uri ${problem}`, 'uri', { uri: String(uri).slice(0, 200) }));
    else valid.add(uri);
  });
  return { valid: [...valid], errors };
}

/**
 * Groups describe rows by subject, in key order. Past the row cap a URI with no rows may just
 * have been cut off, so it gets a LimitExceededError instead of a misleading null.
 */
export function assembleDescriptions(
  uris: readonly string[],
  rows: readonly DescribeRow[],
  rowCap: number,
  errors: Map<number, Error>,
): Array<KnowledgeDescription | null | Error> {
  const truncated = rows.length > rowCap;
  const bySubject = new Map<string, KnowledgeStatement[]>();
  for (const row of rows.slice(0, rowCap)) {
    if (!row.s || !row.p || !row.o) continue;
    const list = bySubject.get(row.s.value) ?? [];
    list.push({
      predicate: row.p.value,
      object: fromRdfJs(row.o),
      objectLabel: row.olabel ? row.olabel.value : null,
    });
    bySubject.set(row.s.value, list);
  }
  for (const list of bySubject.values()) list.sort(compareStatements);
  return uris.map((uri, i) => {
    const err = errors.get(i);
    if (err) return err;
    const statements = bySubject.get(uri);
    if (statements) return { uri, statements, truncated };
    return truncated ? new LimitExceededError('sparqlRowCap', rowCap, rows.length) : null;
  });
}

/** A stable order, so both backends list a resource's statements the same way. */
function compareStatements(a: KnowledgeStatement, b: KnowledgeStatement): number {
  return cmp(a.predicate, b.predicate) || cmp(a.object.type, b.object.type) || cmp(a.object.value, b.object.value);
}
const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
