import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';

/**
 * The web app at `/` (issue 12): the files `vite build` wrote to dist/app, served as they are.
 * The same path works from src/webapp (tests under ts-jest) and dist/webapp (the built server).
 */
export const WEB_APP_DIR = path.resolve(__dirname, '..', '..', 'dist', 'app');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

// Paths other modules answer; the web app never shadows them.
const OTHER_ROUTES = ['/graphql', '/healthz', '/prov', '/provlake'];

function ownedElsewhere(pathname: string): boolean {
  return OTHER_ROUTES.some((r) => pathname === r || pathname.startsWith(`${r}/`));
}

/** The file a URL path names under `root`, or null when it would leave the root. */
export function resolveUnder(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = path.resolve(root, `.${path.posix.normalize(decoded)}`);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

async function fileStat(file: string): Promise<fs.Stats | null> {
  try {
    const st = await fsp.stat(file);
    return st.isFile() ? st : null;
  } catch {
    return null;
  }
}

/**
 * Answers GET/HEAD for the web app and returns true, or returns false for any request it does not
 * own (other methods, the API's paths). `/` and unknown paths without an extension get index.html
 * (the app routes in the URL fragment); hashed files under /assets/ are cached for good.
 */
export async function handleWebRoute(req: http.IncomingMessage, res: http.ServerResponse, root = WEB_APP_DIR): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (ownedElsewhere(pathname)) return false;
  const index = path.join(root, 'index.html');
  if (!(await fileStat(index))) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`The web app is not built (no ${index}): run npm run build. GraphQL is at /graphql.\n`);
    return true;
  }
  let file = resolveUnder(root, pathname);
  let st = file && (await fileStat(file));
  if (!st) {
    if (path.posix.extname(pathname)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`no file ${pathname}\n`);
      return true;
    }
    file = index;
    st = await fileStat(index);
  }
  const immutable = pathname.startsWith('/assets/');
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file!)] ?? 'application/octet-stream',
    'content-length': String(st!.size),
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') res.end();
  else
    fs.createReadStream(file!)
      .on('error', () => res.destroy())
      .pipe(res);
  return true;
}
