// GraphiQL, self-hosted, at /graphql for browsers: a GET that prefers text/html gets the IDE page;
// every other request (POST, GET asking for JSON) goes on to Apollo unchanged. The page and its
// bundle come from this server only, and its Content-Security-Policy says so to the browser too.
import type http from 'node:http';
import path from 'node:path';
import type { Logger } from '../logger';
import { readExampleTabs, type ExampleTab } from './example-tabs';
import { GraphiQLAssets } from './graphiql-assets';
import { prefersHtml } from './prefers-html';

/** Where the browser fetches the bundle; relative links in the page resolve here from /graphql. */
export const GRAPHIQL_ASSET_PREFIX = '/graphiql/assets/';

// The package root, from src/web (tests, tsx) and from dist/web (built, installed) alike.
const ROOT = path.resolve(__dirname, '../..');

export interface GraphiQLPageOptions {
  log: Logger;
  /** The built bundle; default dist/graphiql/assets of this package. */
  assetsDir?: string;
  /**
   * Where example queries are read, first existing wins; default examples/queries (a clone),
   * then the copy the build puts in dist/graphiql/examples (an installed package has no examples/).
   */
  examplesDirs?: string[];
}

// No source but this server; inline styles because GraphiQL's components set style attributes.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** JSON that is safe inside a <script> element: no "</script>" or "<!--" can appear. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function pageHtml(assets: GraphiQLAssets, examples: ExampleTab[]): string {
  const v = (name: string) => `graphiql/assets/${name}?v=${assets.version(name)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>provml · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${v('graphiql.css')}">
<script type="module" src="${v('graphiql.js')}"></script>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script id="provml-graphiql-config" type="application/json">${scriptJson({ examples })}</script>
</body>
</html>
`;
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>provml · GraphiQL not built</title></head>
<body><h1>GraphiQL is not built</h1>
<p>This server has no GraphiQL bundle (dist/graphiql/assets). Run <code>npm run build</code> and restart.
GraphQL itself works: POST to this URL.</p></body></html>
`;

export interface GraphiQLPage {
  /** True when the request was the IDE page or one of its files, and has been answered. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean;
}

/** Loads the bundle and the example tabs once, at start-up. */
export function loadGraphiQLPage(options: GraphiQLPageOptions): GraphiQLPage {
  const assets = GraphiQLAssets.load(options.assetsDir ?? path.join(ROOT, 'dist/graphiql/assets'));
  const examples = readExampleTabs(
    options.examplesDirs ?? [path.join(ROOT, 'examples/queries'), path.join(ROOT, 'dist/graphiql/examples')],
  );
  if (!assets.built) options.log.warn('GraphiQL is not built: browsers at /graphql get a notice', { dir: assets.dir });
  else options.log.debug('GraphiQL ready', { examples: examples.tabs.length, from: examples.dir });
  const html = Buffer.from(pageHtml(assets, examples.tabs));
  const notBuilt = Buffer.from(NOT_BUILT);

  return {
    handle(req, res, url) {
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD') return false;
      if (url.pathname.startsWith(GRAPHIQL_ASSET_PREFIX)) {
        return assets.serve(url.pathname.slice(GRAPHIQL_ASSET_PREFIX.length), req, res);
      }
      if (url.pathname !== '/graphql' || !prefersHtml(req.headers.accept)) return false;
      const body = assets.built ? html : notBuilt;
      res.writeHead(assets.built ? 200 : 503, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(body.length),
        'content-security-policy': CSP,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        // The same URL answers JSON to GraphQL clients: caches must keep the two apart.
        vary: 'accept',
      });
      res.end(method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
