// Bundles the GraphiQL page's browser code (web/graphiql) with Vite into dist/graphiql/assets,
// and copies examples/queries beside it, so an installed package (which ships dist/ but not
// examples/) still opens the example tabs. Run by `npm run build` (and so by `prepare`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/graphiql');

await build({
  configFile: false,
  root: path.join(root, 'web/graphiql'),
  // Relative: the page lives at /graphql and may sit behind a proxy's path prefix.
  base: './',
  logLevel: 'warn',
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: path.join(out, 'assets'),
    emptyOutDir: true,
    cssCodeSplit: false,
    sourcemap: false,
    // Fixed names: src/web/graphiql-page.ts links them, and serves them with an ETag.
    rolldownOptions: {
      input: path.join(root, 'web/graphiql/main.tsx'),
      // React libraries mark modules "use client"; that means nothing outside a server-components build.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      output: {
        entryFileNames: 'graphiql.js',
        // GraphiQL loads CodeMirror's add-ons lazily; one file is simpler to serve and cache.
        codeSplitting: false,
        assetFileNames: 'graphiql[extname]',
      },
    },
    chunkSizeWarningLimit: 4096,
  },
});

const from = path.join(root, 'examples/queries');
const to = path.join(out, 'examples');
fs.rmSync(to, { recursive: true, force: true });
fs.mkdirSync(to, { recursive: true });
for (const f of fs.readdirSync(from)) if (/\.(graphql|json)$/.test(f)) fs.copyFileSync(path.join(from, f), path.join(to, f));
