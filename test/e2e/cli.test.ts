import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '../../clients/typescript/src/provml-client';
import { COMMANDS, main } from '../../src/cli';
import { TextSink } from '../helpers/text-sink';

/**
 * Every subcommand of `bin/provml.js` (the built CLI, as a user runs it), from the table in
 * src/cli.ts so that a new command is covered without editing this file: `--help` prints its
 * usage and exits 0 without side effects, an unknown option exits 2 with the usage, and each
 * command that talks to a server (has --url) names the URL it could not reach.
 */

const BIN = path.join(__dirname, '../../bin/provml.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function provml(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, PROVML_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A command that serves instead of exiting is a failure; stop it so the test says so at once.
    child.stdout.on('data', () => /GraphQL at http/.test(stdout) && child.kill('SIGTERM'));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A loopback port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let dir: string;
let home: string;
let env: Record<string, string>;
let deadUrl: string;
let files: { events: string; spec: string; prov: string; spoolDir: string };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-cli-'));
  // serve and demo would create this data directory (and a local PostgreSQL in it): --help must not.
  home = path.join(dir, 'data');
  const port = await closedPort();
  deadUrl = `http://127.0.0.1:${port}/graphql`;
  env = {
    PROVML_DATA_DIR: home,
    PORT: String(await closedPort()),
    HOST: '127.0.0.1',
    PROVML_DATABASE_URL: '',
    PROVML_TOKEN: 'pml_secret_never_printed',
  };
  files = {
    events: path.join(dir, 'events.jsonl'),
    spec: path.join(dir, 'spec.json'),
    prov: path.join(dir, 'doc.json'),
    spoolDir: path.join(dir, 'spool'),
  };
  fs.writeFileSync(files.events, '{"id":"e1","type":"workflowBegin","run":"r1","workflow":"w"}\n');
  fs.writeFileSync(files.spec, JSON.stringify({ name: 'w', kind: 'LEARNING', transformations: [] }));
  fs.writeFileSync(
    files.prov,
    JSON.stringify({ prefix: { ex: 'http://example.org/' }, entity: { 'ex:a': {} }, activity: { 'ex:run': {} } }),
  );
  // A spool as a job on an offline node leaves it, for replay.
  const client = createClient({ mode: 'offline', spoolDir: files.spoolDir, handleSigterm: false, spoolFsync: false });
  client.startRun('w', { run: 'r' }).end();
  await client.close(1000);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Arguments that make each command with a --url option contact the server at URL. */
const UNREACHABLE: Record<string, (url: string) => string[]> = {
  ingest: (url) => ['ingest', files.events, '--url', url],
  register: (url) => ['register', files.spec, '--url', url],
  export: (url) => ['export', '--format', 'prov-json', '--url', url],
  import: (url) => ['import', files.prov, '--url', url],
  replay: (url) => ['replay', files.spoolDir, '--url', url, '--timeout', '1'],
  parked: (url) => ['parked', '--url', url],
};

const names = Object.keys(COMMANDS);

describe('provml CLI, every subcommand', () => {
  it('has an unreachable-URL case for each command of the table that takes --url', async () => {
    const clientNames: string[] = [];
    for (const name of names) if ('url' in (await COMMANDS[name].load()).options) clientNames.push(name);
    expect(Object.keys(UNREACHABLE).sort()).toEqual([...clientNames].sort());
  });

  it.each(names)('%s --help prints its usage, exits 0 and does nothing else', async (name) => {
    const r = await provml([name, '--help'], env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^usage: provml ${name}\\b`));
    expect(r.stdout).toContain('--help');
    expect(fs.existsSync(home)).toBe(false);
    // `-h` and `provml help NAME` are the same (in-process: spawning each costs a second under load)
    for (const args of [
      [name, '-h'],
      ['help', name],
    ]) {
      const out = new TextSink();
      expect(await main(args, { out, err: new TextSink(), env })).toBe(0);
      expect(out.text).toBe(r.stdout);
    }
  });

  it.each(names)('%s with an unknown option exits 2 with the usage', async (name) => {
    const r = await provml([name, '--no-such-option'], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`provml ${name}: unknown option --no-such-option`);
    expect(r.stderr).toContain(`usage: provml ${name}`);
    expect(fs.existsSync(home)).toBe(false);
  });

  it.each(Object.keys(UNREACHABLE))('%s names the URL it cannot reach', async (name) => {
    const r = await provml(UNREACHABLE[name](deadUrl), env);
    expect(r.code).not.toBe(0);
    const origin = new URL(deadUrl).origin;
    expect(r.stderr).toMatch(new RegExp(`cannot reach ${origin.replace(/\./g, '\\.')}/\\S*: connection refused`));
    expect(r.stdout + r.stderr).not.toContain(env.PROVML_TOKEN);
  });

  it('with no command, or an unknown one, prints the list of commands and exits 2', async () => {
    for (const args of [[], ['frobnicate']]) {
      const r = await provml(args, env);
      expect(r.code).toBe(2);
      for (const name of names) expect(r.stderr).toContain(`  ${name} `);
    }
    const help = await provml(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: provml <command>/);
  });

  it('register and ingest name the file and the line:column of a JSON error', async () => {
    const badSpec = path.join(dir, 'bad-spec.json');
    fs.writeFileSync(badSpec, '{\n  "name": "w",\n  "kind": "LEARNING",\n}\n');
    const reg = await provml(['register', badSpec, '--url', deadUrl], env);
    expect(reg.code).toBe(1);
    expect(reg.stderr).toContain(`${badSpec}:4:1: not valid JSON`);

    const badEvents = path.join(dir, 'bad-events.jsonl');
    fs.writeFileSync(badEvents, '\n{"id": "x", "type": "taskBegin",, "run": "r"}\n');
    // Every line bad: nothing to send, so no server is needed to see the report.
    const ing = await provml(['ingest', badEvents, '--url', deadUrl], env);
    expect(ing.code).toBe(2);
    expect(ing.stdout).toContain(`${badEvents}:2:33: not valid JSON`);

    const missing = await provml(['register', path.join(dir, 'nope.yaml'), '--url', deadUrl], env);
    expect(missing.stderr).toContain(`${path.join(dir, 'nope.yaml')}: no such file`);
  });

  it('a missing argument or a bad value is a usage error (exit 2)', async () => {
    for (const args of [['ingest'], ['ingest', files.events, '--batch', 'zero'], ['export', '--format', 'xml'], ['replay']]) {
      const r = await provml(args, env);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(`usage: provml ${args[0]}`);
    }
  });
});
