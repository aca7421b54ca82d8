import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { handleWebRoute, resolveUnder } from '../../src/webapp/static-route';

// The web app's static route over a real HTTP server and a temp folder standing in for dist/app.
describe('the web app static route', () => {
  let root: string;
  let server: http.Server;
  let base: string;
  const get = (p: string, method = 'GET') => fetch(`${base}${p}`, { method });

  beforeAll(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'provml-web-static-'));
    await fsp.mkdir(path.join(root, 'assets'));
    await fsp.writeFile(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
    await fsp.writeFile(path.join(root, 'assets', 'app-123.js'), 'console.log(1)');
    await fsp.writeFile(path.join(os.tmpdir(), 'provml-web-secret.txt'), 'secret');
    server = http.createServer((req, res) => {
      void handleWebRoute(req, res, root).then((handled) => {
        if (!handled) {
          res.writeHead(418);
          res.end('not mine');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fsp.rm(root, { recursive: true, force: true });
    await fsp.rm(path.join(os.tmpdir(), 'provml-web-secret.txt'), { force: true });
  });

  it('serves index.html at / and for app paths without an extension', async () => {
    for (const p of ['/', '/search', '/runs/x']) {
      const res = await get(p);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<title>app</title>');
    }
  });

  it('serves hashed assets as immutable, 404 for a missing file, and HEAD without a body', async () => {
    const js = await get('/assets/app-123.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe('console.log(1)');
    expect((await get('/assets/nope.js')).status).toBe(404);
    const head = await get('/assets/app-123.js', 'HEAD');
    expect(head.headers.get('content-length')).toBe('14');
    expect(await head.text()).toBe('');
  });

  it('never leaves its root, and leaves the API routes and other methods alone', async () => {
    expect(resolveUnder(root, '/../provml-web-secret.txt')).toBe(path.join(root, 'provml-web-secret.txt'));
    expect(resolveUnder(root, '/%2e%2e/%2e%2e/etc/passwd')).toBe(path.join(root, 'etc/passwd'));
    expect(resolveUnder(root, '/a%00b')).toBeNull();
    const escape = await get('/%2e%2e/provml-web-secret.txt');
    expect(escape.status).toBe(404);
    expect(await escape.text()).not.toBe('secret');
    for (const p of ['/graphql', '/healthz', '/prov/entity', '/provlake/x']) expect((await get(p)).status).toBe(418);
    expect((await get('/', 'POST')).status).toBe(418);
  });

  it('says how to build the app when dist/app is missing', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve) => {
      const s = http.createServer((req, r) => void handleWebRoute(req, r, path.join(root, 'missing')));
      s.listen(0, '127.0.0.1', async () => {
        const out = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/`);
        resolve({ status: out.status, body: await out.text() });
        s.close();
      });
    });
    expect(res.status).toBe(503);
    expect(res.body).toMatch(/npm run build/);
  });
});
