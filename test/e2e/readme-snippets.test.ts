import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { gql, startServerProcess, type ServerProcess } from '../helpers/server-process';

/**
 * Every ```python and ```ts block of the client READMEs (and of the main README) runs as written
 * against the real server (`provml serve` on its own database): Python blocks with Debian's
 * python3 and the client on PYTHONPATH, TypeScript blocks as ES modules through tsx with
 * `@provml/client` installed as a user would have it (a link to clients/typescript, built).
 * The server comes from PROVML_SERVER, as the READMEs say. Then the runs they made are queried.
 */

const run = promisify(execFile);
const REPO = path.join(__dirname, '../..');
const READMES = ['README.md', 'clients/python/README.md', 'clients/typescript/README.md'];
const PYTHON = '/usr/bin/python3';

interface Snippet {
  file: string;
  line: number;
  lang: 'python' | 'ts';
  code: string;
}

function snippets(): Snippet[] {
  return READMES.flatMap((file) => {
    const text = fs.readFileSync(path.join(REPO, file), 'utf8');
    return [...text.matchAll(/^```(python|ts)\n([\s\S]*?)^```$/gm)].map((m) => ({
      file,
      line: text.slice(0, m.index).split('\n').length,
      lang: m[1] as Snippet['lang'],
      code: m[2],
    }));
  });
}

const ALL = snippets();
/** Workflows the snippets run, and how many finished runs each should leave. */
const EXPECTED_RUNS = ['provlake-style', 'mlflow-style', 'node-training', 'node-offline'];

describe('README snippets against the real server', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Inside the checkout, so that tsx and yaml resolve from its node_modules as in a user's project.
    fs.mkdirSync(path.join(REPO, '.tmp'), { recursive: true });
    dir = fs.mkdtempSync(path.join(REPO, '.tmp', 'readme-snippets-'));
    server = await startServerProcess({ PROVML_DATABASE_URL: db.url, PROVML_DEMO: '0', PROVML_DATA_DIR: path.join(dir, 'data') });
    // @provml/client as `npm install ./clients/typescript` leaves it: a link to the package.
    fs.mkdirSync(path.join(dir, 'node_modules/@provml'), { recursive: true });
    fs.symlinkSync(path.join(REPO, 'clients/typescript'), path.join(dir, 'node_modules/@provml/client'));
    env = {
      ...process.env,
      PROVML_SERVER: new URL(server.url).origin,
      PYTHONPATH: path.join(REPO, 'clients/python'),
      NODE_ENV: 'production',
    };
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds the snippets of both client READMEs', () => {
    const where = new Set(ALL.map((s) => `${s.file}:${s.lang}`));
    expect(where.has('clients/python/README.md:python')).toBe(true);
    expect(where.has('clients/typescript/README.md:ts')).toBe(true);
  });

  it.each(ALL.map((s) => [`${s.file}:${s.line} (${s.lang})`, s] as const))('%s runs as written', async (_name, s) => {
    const file = path.join(dir, `snippet-${s.line}.${s.lang === 'python' ? 'py' : 'mts'}`);
    fs.writeFileSync(file, s.code);
    const args = s.lang === 'python' ? [PYTHON, [file]] : [process.execPath, ['--import', 'tsx', file]];
    try {
      await run(args[0] as string, args[1] as string[], { cwd: dir, env, timeout: 60_000 });
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      throw new Error(`${s.file}:${s.line} exited ${err.code}:\n${err.stdout ?? ''}${err.stderr ?? ''}`, { cause: e });
    }
  });

  it('the runs they made are on the server (the offline spool after a replay)', async () => {
    const spool = path.join(dir, '.provml-spool/spool.jsonl');
    expect(fs.existsSync(spool)).toBe(true);
    await run(process.execPath, [path.join(REPO, 'bin/provml.js'), 'replay', spool, '--url', server.url], { cwd: dir, env });
    for (const workflow of EXPECTED_RUNS) {
      const r = await gql<{ executions: { nodes: Array<{ status: string }> } }>(
        server.url,
        'query R($w: String!) { executions(filter: { workflow: $w }) { nodes { status } } }',
        { w: workflow },
      );
      expect({ workflow, runs: r.body.data?.executions.nodes }).toEqual({ workflow, runs: [{ status: 'FINISHED' }] });
    }
  });
});
