/**
 * What the hardening checks cost per request, each beside the work it sits in front of, in one run:
 *  - the parse-time limit check (byte count + lexer token count) on the paper's Q1, beside
 *    graphql-js parsing the same document (what Apollo does next);
 *  - the same check refusing 10 000 aliases, beside what that document cost before the check
 *    (parse + validation with the depth/alias rules);
 *  - the SPARQL read-only check (sparqljs parse + SERVICE walk) on a typical query, new text and
 *    the same text again (its verdict cache), beside graphql-js parsing Q1 (a reference of the
 *    same kind: one parse of a small text);
 *  - the fs store's stat of 100 files taken from open, root-checked descriptors, beside the
 *    realpath + stat per file it did before.
 *
 *   npm run build && npx tsx bench/security-checks.ts [--samples 200]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { loadConfig } from '../dist/config';
import { assertReadOnlyQuery } from '../dist/connectors/knowledge/sparql-read-only';
import { FsObjectStore } from '../dist/connectors/objects/fs-object-store';
import { checkParseLimits, queryLimitsRule } from '../dist/query-limits';

const argv = process.argv;
const SAMPLES = Number(argv.includes('--samples') ? argv[argv.indexOf('--samples') + 1] : '200');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn: () => unknown | Promise<unknown>, inner = 1): Promise<number> {
  for (let i = 0; i < 5; i++) await fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = process.hrtime.bigint();
    for (let j = 0; j < inner; j++) await fn();
    xs.push(Number(process.hrtime.bigint() - t) / 1e3 / inner);
  }
  return median(xs);
}

async function main() {
  const config = loadConfig({});
  const q1 = fs.readFileSync(path.join(__dirname, '../examples/queries/q1.graphql'), 'utf8');
  const aliases = `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}:x`).join(' ')} }`;
  const schema = buildSchema('type Query { x: Int }');
  const sparql = `PREFIX d: <http://provml.dev/ns/domain#>
    SELECT ?well ?label ?depth WHERE { ?well a d:Well ; rdfs:label ?label . OPTIONAL { ?well d:depth ?depth } FILTER(?depth > 1000) } ORDER BY ?label LIMIT 100`;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-bench-sec-'));
  const files = Array.from({ length: 100 }, (_, i) => path.join(dir, `f${i}.bin`));
  for (const f of files) fs.writeFileSync(f, 'x'.repeat(1024));
  const store = new FsObjectStore({ id: 'bench', root: dir });

  let n = 0; // a new comment each call: the check's verdict cache does not answer
  const rows: Array<[string, number, string, number]> = [
    [
      'parse limits on Q1',
      await time(() => checkParseLimits(q1, config.parseLimits), 20),
      'graphql parse of Q1',
      await time(() => parse(q1), 20),
    ],
    [
      'parse limits refusing 10k aliases',
      await time(() => checkParseLimits(aliases, config.parseLimits)),
      'parse + validate 10k aliases',
      await time(() => validate(schema, parse(aliases), [...specifiedRules, queryLimitsRule(config.queryLimits)])),
    ],
    [
      'SPARQL read-only check, new text',
      await time(() => assertReadOnlyQuery(`${sparql} # ${n++}`), 5),
      'graphql parse of Q1',
      await time(() => parse(q1), 20),
    ],
    [
      'SPARQL read-only check, same text again',
      await time(() => assertReadOnlyQuery(sparql), 20),
      'graphql parse of Q1',
      await time(() => parse(q1), 20),
    ],
    [
      'fs stat of 100 files (descriptor-checked)',
      await time(() => store.stat(files)),
      'realpath + stat of 100 files',
      await time(() => Promise.all(files.map(async (f) => fs.promises.stat(await fs.promises.realpath(f))))),
    ],
  ];
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`median of ${SAMPLES} samples, microseconds`);
  console.log(`${'check'.padEnd(44)} ${'median'.padStart(10)}   ${'baseline'.padEnd(32)} ${'median'.padStart(10)}  ratio`);
  for (const [name, t, base, b] of rows) {
    console.log(
      `${name.padEnd(44)} ${t.toFixed(1).padStart(10)}   ${base.padEnd(32)} ${b.toFixed(1).padStart(10)}  ${(t / b).toFixed(2)}x`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
