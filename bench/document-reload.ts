/**
 * What the GeoJSON directory document store pays for following the directory (replicas): a
 * findByUris that first checks every file's stamp, against the same read on a store held in
 * memory only (the behaviour before), interleaved; then reads right after another store instance
 * (a second replica) rewrote one file, which list the directory and re-read that file.
 *
 *   npm run build && npx tsx bench/document-reload.ts [--files 20,200] [--features 10] [--samples 300]
 *
 * Imports from dist/ (as the other benchmarks do).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileDocumentStore, readDocumentDirectory } from '../dist/connectors/documents/file-document-store';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const fileCounts = arg('files', '20,200').split(',').map(Number);
const features = Number(arg('features', '10'));
const samples = Number(arg('samples', '300'));

const square = (x: number, y: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, y],
      [x + 0.1, y],
      [x + 0.1, y + 0.1],
      [x, y + 0.1],
      [x, y],
    ],
  ],
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main() {
  console.log(`findByUris of one URI, median of ${samples} (ms); ${features} features per file`);
  console.log('files | memory only (before) | reloading, unchanged | reloading, after another replica wrote one file');
  for (const files of fileCounts) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'provml-bench-docs-'));
    try {
      for (let f = 0; f < files; f++) {
        await writeFile(
          path.join(dir, `cubes-${f}.geojson`),
          JSON.stringify({
            type: 'FeatureCollection',
            features: Array.from({ length: features }, (_, i) => ({
              type: 'Feature',
              geometry: square(f, i),
              properties: { uri: `/data/f${f}-${i}.sgy`, basin: 'bench' },
            })),
          }),
        );
      }
      const memory = new FileDocumentStore(await readDocumentDirectory(dir), { id: 'memory' });
      const reloading = await FileDocumentStore.fromDirectory(dir, { id: 'reloading' });
      const other = await FileDocumentStore.fromDirectory(dir, { id: 'other' });
      const uri = `/data/f${files - 1}-0.sgy`;
      const m: number[] = [];
      const r: number[] = [];
      const w: number[] = [];
      // Unchanged directory: a read stats the folders only (files are listed every 2 s).
      for (let i = 0; i < samples; i++) {
        m.push(await time(() => memory.findByUris([uri])));
        r.push(await time(() => reloading.findByUris([uri])));
      }
      // Another replica rewrote a file just before: the read lists the directory and re-reads it.
      for (let i = 0; i < samples; i++) {
        await other.upsert({ uri: `/data/f0-0.sgy`, geometry: square(0, 0) as never, properties: { n: i } });
        w.push(await time(() => reloading.findByUris([uri])));
      }
      console.log(`${files} | ${median(m).toFixed(3)} | ${median(r).toFixed(3)} | ${median(w).toFixed(3)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
