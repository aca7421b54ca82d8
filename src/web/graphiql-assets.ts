// The GraphiQL bundle (dist/graphiql/assets, made by scripts/build-graphiql.mjs), held in memory.
// Only the files listed at start are served: a request names one of them or gets nothing, so no
// path from a URL ever reaches the file system.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** Made on the first request that accepts gzip (1.7 MB of JavaScript and CSS shrinks to 0.7). */
  gzipped?: Buffer;
}

export class GraphiQLAssets {
  private constructor(
    private readonly files: Map<string, Asset>,
    readonly dir: string,
  ) {}

  /** Reads every file of dir; an absent dir gives an empty set (GraphiQL not built). */
  static load(dir: string): GraphiQLAssets {
    const files = new Map<string, Asset>();
    if (fs.existsSync(dir)) {
      for (const name of fs.readdirSync(dir)) {
        const type = TYPES[path.extname(name)];
        if (!type) continue;
        const body = fs.readFileSync(path.join(dir, name));
        files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
      }
    }
    return new GraphiQLAssets(files, dir);
  }

  get built(): boolean {
    return this.files.has('graphiql.js') && this.files.has('graphiql.css');
  }

  /** A version tag for a file, put in the page's URLs so a new build is fetched at once. */
  version(name: string): string {
    return this.files.get(name)?.etag.slice(1, -1) ?? '0';
  }

  /** Answers GET/HEAD for one file by name; false when there is no such file. */
  serve(name: string, req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const asset = this.files.get(name);
    if (!asset) return false;
    const headers: Record<string, string> = {
      'content-type': asset.type,
      etag: asset.etag,
      // Revalidated on each load (a 304 costs one round trip); URLs carry ?v= for a new build.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    let body = asset.body;
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      asset.gzipped ??= gzipSync(asset.body);
      body = asset.gzipped;
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}
