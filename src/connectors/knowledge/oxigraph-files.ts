import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type oxigraph from 'oxigraph';

/** RDF syntaxes Oxigraph reads, by file extension. */
export const KNOWLEDGE_FORMATS: Readonly<Record<string, string>> = {
  '.ttl': 'text/turtle',
  '.nt': 'application/n-triples',
  '.nq': 'application/n-quads',
  '.trig': 'application/trig',
  '.rdf': 'application/rdf+xml',
  '.owl': 'application/rdf+xml',
};

/** The first file whose extension names no format, or undefined. Checked before any worker starts. */
export function unknownFormatFile(files: readonly string[]): string | undefined {
  return files.find((f) => !KNOWLEDGE_FORMATS[path.extname(f).toLowerCase()]);
}

/** Why one knowledge file did not load; a plain Error, so it crosses the worker boundary as data. */
export class KnowledgeFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: 'read' | 'parse',
    detail: string,
  ) {
    super(`knowledge file ${file} ${reason === 'read' ? 'cannot be read' : 'does not parse'}: ${detail}`);
  }
}

/**
 * Loads files into an Oxigraph store. Runs in the store's worker: parsing a large graph is as
 * synchronous as a query, and it is repeated there whenever a timed-out worker is replaced.
 */
export async function loadKnowledgeFiles(store: oxigraph.Store, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const format = KNOWLEDGE_FORMATS[path.extname(file).toLowerCase()];
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new KnowledgeFileError(file, 'read', String(err));
    }
    try {
      store.load(text, { format: format ?? 'text/turtle', base_iri: `file://${path.resolve(file)}` });
    } catch (err) {
      throw new KnowledgeFileError(file, 'parse', String(err));
    }
  }
}
