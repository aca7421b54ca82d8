// `provml serve` with the demo, for the screenshot script and the browser benchmark: the built
// server (bin/provml.js, dist/) on a free port, with its own local PostgreSQL in a temp data
// directory, or on PROVML_DATABASE_URL's database when that is set (a server must then be empty
// for the demo to load).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServerProcess, type ServerProcess } from '../test/helpers/server-process';

export interface DemoServer {
  base: string;
  server: ServerProcess;
  stop(): Promise<void>;
}

export async function startDemoServer(extraEnv: Record<string, string> = {}): Promise<DemoServer> {
  const web = path.join(__dirname, '../dist/app/index.html');
  if (!fs.existsSync(web)) throw new Error(`${web} is missing: run npm run build first`);
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-web-demo-'));
  const env: Record<string, string> = { PROVML_DATA_DIR: dataDir, ...extraEnv };
  const server = await startServerProcess(env, 120_000);
  return {
    base: server.base,
    server,
    stop: async () => {
      await server.stop();
      await fsp.rm(dataDir, { recursive: true, force: true });
    },
  };
}
