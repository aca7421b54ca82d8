import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort } from './virtuoso';

/**
 * Where a live MongoDB can be had for tests: `PROVML_TEST_MONGODB_URL`, or a `mongod` on PATH
 * that the harness starts on a free loopback port with a temp dbpath. Neither exists on the
 * machines this project is built on (MongoDB is not in Debian), so suites must show the skip.
 */
export type MongoAvailability =
  { kind: 'url'; url: string } | { kind: 'mongod'; binary: string } | { kind: 'none'; reason: string };

export function mongoAvailability(env: NodeJS.ProcessEnv = process.env): MongoAvailability {
  const url = env.PROVML_TEST_MONGODB_URL;
  if (url) return { kind: 'url', url };
  const which = spawnSync('sh', ['-c', 'command -v mongod'], { encoding: 'utf8' });
  const binary = which.stdout.trim();
  if (which.status === 0 && binary) return { kind: 'mongod', binary };
  return { kind: 'none', reason: 'PROVML_TEST_MONGODB_URL is not set and no mongod is on PATH' };
}

export interface MongoTestServer {
  client: MongoClient;
  /** A database of its own for this run; dropped by stop(). */
  dbName: string;
  url: string;
  stop(): Promise<void>;
}

export async function startMongo(availability: Exclude<MongoAvailability, { kind: 'none' }>): Promise<MongoTestServer> {
  let url: string;
  let stopServer = async () => {};
  if (availability.kind === 'url') {
    url = availability.url;
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'provml-mongod-'));
    const port = await freePort();
    const child = spawn(availability.binary, ['--dbpath', dir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'], {
      stdio: 'ignore',
    });
    url = `mongodb://127.0.0.1:${port}`;
    stopServer = async () => {
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    };
  }
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 20_000 });
  await client.connect();
  const dbName = `provml_test_${randomUUID().replace(/-/g, '')}`;
  return {
    client,
    dbName,
    url,
    async stop() {
      await client
        .db(dbName)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
      await stopServer();
    },
  };
}
