// The example queries GraphiQL opens as tabs: every examples/queries/NAME.graphql, with the
// variables of NAME.json beside it. Read once at server start.
import fs from 'node:fs';
import path from 'node:path';

/** One tab; web/graphiql/page-config.ts reads the same shape in the browser. */
export interface ExampleTab {
  name: string;
  query: string;
  variables?: string;
}

// The paper's questions first, in their order (q1..q6), then the others by name.
function byPaperOrder(a: string, b: string): number {
  const qa = /^q(\d+)$/.exec(a);
  const qb = /^q(\d+)$/.exec(b);
  if (qa && qb) return Number(qa[1]) - Number(qb[1]);
  if (qa) return -1;
  if (qb) return 1;
  return a.localeCompare(b);
}

/** The tabs of the first directory that exists; none when no directory does. */
export function readExampleTabs(dirs: readonly string[]): { dir?: string; tabs: ExampleTab[] } {
  const dir = dirs.find((d) => fs.existsSync(d) && fs.statSync(d).isDirectory());
  if (!dir) return { tabs: [] };
  const names = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => f.slice(0, -'.graphql'.length))
    .sort(byPaperOrder);
  const tabs = names.map((name): ExampleTab => {
    const query = fs.readFileSync(path.join(dir, `${name}.graphql`), 'utf8');
    const varsFile = path.join(dir, `${name}.json`);
    return fs.existsSync(varsFile) ? { name, query, variables: fs.readFileSync(varsFile, 'utf8') } : { name, query };
  });
  return { dir, tabs };
}
