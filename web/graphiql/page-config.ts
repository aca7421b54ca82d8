// What the server puts in the page (src/web/graphiql-page.ts writes it as JSON in a
// <script type="application/json"> tag): the example queries as tabs.

export interface ExampleTab {
  /** File name without extension, e.g. "q1". */
  name: string;
  query: string;
  /** The .json variables next to the .graphql file, as text; absent when there is none. */
  variables?: string;
}

export interface PageConfig {
  examples: ExampleTab[];
}

export function readPageConfig(doc: Document): PageConfig {
  const text = doc.getElementById('provml-graphiql-config')?.textContent;
  const parsed = text ? (JSON.parse(text) as Partial<PageConfig>) : {};
  return { examples: Array.isArray(parsed.examples) ? parsed.examples : [] };
}
