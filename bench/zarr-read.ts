/**
 * Reading a yProv4ML Zarr metric store: provml's reader (pure TypeScript codecs) against
 * zarr-python 2.13 with numcodecs' C codecs (Debian python3-zarr) reading the same store into
 * (epoch, value, timestamp) tuples, interleaved. The stores are written first by zarr-python: a
 * group as `save_to_zarr` makes it (epochs i4, values f4, timestamps i8, chunks of 1000,
 * appended in batches of 100,000), one with zarr 2's default compressor (Blosc lz4, shuffle) and
 * one with Blosc zstd (yProv4ML's BLOSC_ZSTD).
 *
 *   npm run build && npx tsx bench/zarr-read.ts [--points 1000000] [--samples 7]
 *
 * Imports from dist/ (as the other benchmarks do).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readZarrMetric } from '../dist/interop/zarr-metric';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const points = Number(arg('points', '1000000'));
const samples = Number(arg('samples', '7'));
const PY = '/usr/bin/python3';

const WRITE = `
import sys, zarr, numpy as np
from numcodecs import Blosc
out, n = sys.argv[1], int(sys.argv[2])
for label, comp in (("lz4", zarr.storage.default_compressor), ("zstd", Blosc(cname="zstd", shuffle=Blosc.SHUFFLE))):
    g = zarr.open_group(f"{out}/m_{label}.zarr", mode="w")
    g.attrs.update(name="m", context="Context.TRAINING", source="None")
    rng = np.random.default_rng(0)
    for key, dt, arr in (("epochs", "i4", np.arange(n) // 1000), ("values", "f4", rng.random(n)),
                         ("timestamps", "i8", 1760968917183 + np.arange(n) * 37)):
        a = g.create_dataset(key, shape=(0,), chunks=(1000,), dtype=dt, compressor=comp)
        for i in range(0, n, 100000):
            a.append(arr[i:i + 100000].astype(dt))
`;

const READ = `
import sys, time, zarr
g = zarr.open_group(sys.argv[1], mode="r")
t = time.perf_counter()
e, v, s = g["epochs"][:], g["values"][:], g["timestamps"][:]
pts = [(int(a), float(b), int(c)) for a, b, c in zip(e.tolist(), v.tolist(), s.tolist())]
print((time.perf_counter() - t) * 1000)
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(path.join(os.tmpdir(), 'provml-zarr-bench-'));
try {
  execFileSync(PY, ['-c', WRITE, dir, String(points)]);
  for (const label of ['lz4', 'zstd']) {
    const store = path.join(dir, `m_${label}.zarr`);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = process.hrtime.bigint();
      const m = readZarrMetric(store);
      ours.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (m.points.length !== points) throw new Error(`read ${m.points.length} points, ${points} written`);
      // zarr-python's own time, from inside its process (no interpreter start).
      theirs.push(Number(execFileSync(PY, ['-c', READ, store], { encoding: 'utf8' })));
    }
    const [a, b] = [median(ours), median(theirs)];
    console.log(
      `blosc-${label}, ${points} points: provml ${a.toFixed(0)} ms, zarr-python ${b.toFixed(0)} ms (median of ${samples}; ratio ${(a / b).toFixed(2)}x)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
