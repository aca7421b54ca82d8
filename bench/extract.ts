/**
 * Bytes read and time of `provml extract` on a generated multi-GB SEG-Y cube: file system and
 * S3 (s3rver on loopback, through the objects connector), full and fast modes.
 *
 * The cube is written sparsely: file headers and every trace header, then truncated to full
 * size, so its samples are holes that take no disk (each trace header still takes a 4 KiB
 * block: about traceCount x 4 KiB on disk). s3rver keeps a real copy, so the S3 cube is smaller
 * (--s3-gb). Run: bench/extract.sh [--gb 4] [--samples 4000] [--s3-gb 0.5] [--no-s3]
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { closeSync, createReadStream, ftruncateSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'fs';
import { tmpdir, cpus } from 'os';
import { join } from 'path';
import { S3ObjectStore } from '../src/connectors/objects/s3-object-store';
import { extract } from '../src/ingest/extractors/extract';
import type { SegyExtract } from '../src/ingest/extractors/extract-result';
import { FileRangeReader } from '../src/ingest/extractors/file-range-reader';
import { ObjectStoreRangeReader } from '../src/ingest/extractors/object-store-range-reader';
import type { RangeReader } from '../src/ingest/extractors/range-reader';
import { startS3rver } from '../test/helpers/s3rver';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const GB = arg('--gb', 4);
const SAMPLES = arg('--samples', 4000);
const S3_GB = arg('--s3-gb', 0.5);
const WITH_S3 = !process.argv.includes('--no-s3');
const XLINES = 1000;

/** Writes a regular cube of about `bytes` bytes; returns its path and trace count. */
function writeCube(path: string, bytes: number): { traces: number; size: number } {
  const traceSize = 240 + SAMPLES * 4;
  const inlines = Math.max(1, Math.floor((bytes - 3600) / traceSize / XLINES));
  const traces = inlines * XLINES;
  const fd = openSync(path, 'w');
  const head = Buffer.alloc(3600, 0x20); // an ASCII textual header of blanks...
  head.write('C01 PROVML EXTRACT BENCHMARK CUBE (SPARSE: SAMPLES ARE HOLES)', 0, 'ascii');
  head.fill(0, 3200);
  head.writeUInt16BE(2000, 3216); // sample interval, µs
  head.writeUInt16BE(SAMPLES, 3220);
  head.writeUInt16BE(5, 3224); // IEEE float
  head.writeUInt8(1, 3500); // rev 1.0
  head.writeInt16BE(1, 3502); // fixed-length traces
  writeSync(fd, head, 0, 3600, 0);
  const h = Buffer.alloc(240);
  for (let i = 0; i < traces; i++) {
    const il = 1000 + Math.floor(i / XLINES);
    const xl = 2000 + (i % XLINES);
    h.fill(0);
    h.writeInt16BE(-100, 70);
    h.writeUInt16BE(SAMPLES, 114);
    h.writeUInt16BE(2000, 116);
    h.writeInt32BE(Math.round((600000 + (xl - 2000) * 12.5) * 100), 180);
    h.writeInt32BE(Math.round((6070000 + (il - 1000) * 12.5) * 100), 184);
    h.writeInt32BE(il, 188);
    h.writeInt32BE(xl, 192);
    writeSync(fd, h, 0, 240, 3600 + i * traceSize);
  }
  const size = 3600 + traces * traceSize;
  ftruncateSync(fd, size);
  closeSync(fd);
  return { traces, size };
}

/** Counts requests (async reads and preads) on the way through. */
function counted<R extends RangeReader>(r: R): { reader: RangeReader; requests: () => number } {
  let n = 0;
  const proxy = new Proxy(r, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if ((prop === 'read' || prop === 'readSync') && typeof v === 'function')
        return (...a: unknown[]) => {
          n++;
          return (v as (...x: unknown[]) => unknown).apply(target, a);
        };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { reader: proxy, requests: () => n };
}

const FS_TYPES: Record<number, string> = {
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x9123683e: 'btrfs',
};
const mib = (b: number) => (b / 1024 / 1024).toFixed(2);

async function run(label: string, open: () => Promise<RangeReader>, fast: boolean, coalesceGapBytes = 0): Promise<void> {
  const { reader, requests } = counted(await open());
  const t0 = process.hrtime.bigint();
  const r = (await extract(reader, { fast, coalesceGapBytes })) as SegyExtract;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  await reader.close();
  console.log(
    [
      label.padEnd(6),
      (fast ? 'fast' : coalesceGapBytes ? 'full*' : 'full').padEnd(5),
      `${(r.fileSize / 1e9).toFixed(2)} GB`.padStart(9),
      String(r.traceCount).padStart(8),
      `${mib(r.bytesRead)} MiB`.padStart(12),
      `${((100 * r.bytesRead) / r.fileSize).toFixed(4)} %`.padStart(10),
      String(requests()).padStart(8),
      `${ms.toFixed(0)} ms`.padStart(9),
      `il ${r.inline.min}-${r.inline.max}/${r.inline.count} xl ${r.crossline.min}-${r.crossline.max}/${r.crossline.count} inferred=${r.inferred}`,
    ].join(' | '),
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'provml-bench-extract-'));
  try {
    const fsType = FS_TYPES[statfsSync(dir).type] ?? `0x${statfsSync(dir).type.toString(16)}`;
    console.log(`node ${process.version}, ${cpus().length} cpus, ${cpus()[0]?.model}; temp dir ${dir} on ${fsType}`);
    const file = join(dir, 'cube.sgy');
    let t = Date.now();
    const cube = writeCube(file, GB * 1e9);
    console.log(
      `wrote ${(cube.size / 1e9).toFixed(2)} GB sparse cube, ${cube.traces} traces of ${SAMPLES} samples, in ${Date.now() - t} ms (page cache warm)`,
    );
    console.log('store  | mode  |      size |   traces |   bytes read |  of file | requests |      time | result');
    await run('fs', () => FileRangeReader.open(file), false);
    await run('fs', () => FileRangeReader.open(file), true);
    if (!WITH_S3) return;

    const small = join(dir, 'cube-s3.sgy');
    const sc = writeCube(small, S3_GB * 1e9);
    const s3 = await startS3rver(['bench']);
    try {
      t = Date.now();
      await s3.client.send(
        new PutObjectCommand({
          Bucket: 'bench',
          Key: 'cube.sgy',
          Body: createReadStream(small),
          ContentLength: sc.size,
        }),
      );
      console.log(`uploaded ${(sc.size / 1e9).toFixed(2)} GB to s3rver ${s3.endpoint} in ${Date.now() - t} ms`);
      const store = new S3ObjectStore(s3.client, {
        id: 'bench',
        timeoutMs: 60_000,
      });
      await run('s3', async () => new ObjectStoreRangeReader(store, 's3://bench/cube.sgy'), true);
      await run('s3', async () => new ObjectStoreRangeReader(store, 's3://bench/cube.sgy'), false);
      // full*: headers coalesced across the samples between them (8 MiB requests): few
      // requests, but every byte of the file travels. The trade fast mode avoids.
      await run('s3', async () => new ObjectStoreRangeReader(store, 's3://bench/cube.sgy'), false, SAMPLES * 4);
    } finally {
      await s3.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
