// The web app's build (issue 12): `vite build --config web/vite.config.ts` writes dist/app, which
// provml serve hands out at `/`. No CDN: every script, style and font is in the bundle.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  // Vite 8 compiles JSX with oxc itself; no React plugin is needed for a production build.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: path.resolve(here, '../dist/app'),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1600,
    // Rolldown's per-plugin timing report is noise in `npm run build`.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  logLevel: 'warn',
});
