import fs from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOCK_FILE, withDirectoryLock } from '../../src/connectors/documents/directory-lock';
import { FileDocumentStore } from '../../src/connectors/documents/file-document-store';

// Two FileDocumentStore instances over one directory stand for two provml replicas: they share
// nothing but the files, exactly as two processes do.

const square = (x: number, y: number) => ({
  type: 'Polygon' as const,
  coordinates: [
    [
      [x, y],
      [x + 1, y],
      [x + 1, y + 1],
      [x, y + 1],
      [x, y],
    ] as [number, number][],
  ],
});

describe('a document directory shared by two replicas', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'provml-documents-replicas-'));
    await writeFile(
      path.join(dir, 'cubes.geojson'),
      JSON.stringify({
        type: 'FeatureCollection',
        features: Array.from({ length: 8 }, (_, i) => ({ type: 'Feature', geometry: null, properties: { uri: `c${i}.sgy` } })),
      }),
    );
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('shows on one replica the footprint the other wrote, new file or merged item', async () => {
    const a = await FileDocumentStore.fromDirectory(dir, { id: 'documents' });
    const b = await FileDocumentStore.fromDirectory(dir, { id: 'documents' });
    expect(await b.findByUris(['new.sgy', 'c3.sgy'])).toEqual([null, expect.objectContaining({ geometry: null })]);

    expect(await a.upsert({ uri: 'new.sgy', geometry: square(0, 0), properties: { traceCount: 5 } })).toBe(true);
    expect(await a.upsert({ uri: 'c3.sgy', geometry: square(4, 4), properties: {} })).toBe(true);

    const [fresh, merged] = await b.findByUris(['new.sgy', 'c3.sgy']);
    expect(fresh).toMatchObject({ uri: 'new.sgy', geometry: square(0, 0), properties: { traceCount: 5 } });
    expect(merged).toMatchObject({ uri: 'c3.sgy', geometry: square(4, 4) });
    expect((await b.intersects(square(4.5, 4.5), 10)).map((d) => d.uri)).toEqual(['c3.sgy']);
    // B knows the file's new content, so the same write is nothing new to B either.
    expect(await b.upsert({ uri: 'c3.sgy', geometry: square(4, 4), properties: {} })).toBe(false);
  });

  it('loses no write when both replicas merge into one FeatureCollection at once', async () => {
    const a = await FileDocumentStore.fromDirectory(dir, { id: 'documents' });
    const b = await FileDocumentStore.fromDirectory(dir, { id: 'documents' });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).upsert({ uri: `c${i}.sgy`, geometry: square(i * 2, 0), properties: { by: i % 2 ? 'a' : 'b' } }),
      ),
    );
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'cubes.geojson'), 'utf8')) as {
      features: Array<{ geometry: unknown; properties: { uri: string; by?: string } }>;
    };
    expect(onDisk.features.map((f) => [f.properties.uri, f.properties.by, f.geometry])).toEqual(
      Array.from({ length: 8 }, (_, i) => [`c${i}.sgy`, i % 2 ? 'a' : 'b', square(i * 2, 0)]),
    );
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the last good content of a file that stops parsing, and drops a removed file', async () => {
    const warnings: string[] = [];
    await writeFile(path.join(dir, 'extra.json'), JSON.stringify({ uri: 'x.sgy', geometry: square(1, 1) }));
    const store = await FileDocumentStore.fromDirectory(dir, { id: 'documents', log: (_l, m) => warnings.push(m) });
    await writeFile(path.join(dir, 'cubes.geojson'), '{"type": "FeatureCo');
    fs.rmSync(path.join(dir, 'extra.json'));
    const [cube, extra] = await store.findByUris(['c1.sgy', 'x.sgy']);
    expect(cube).toMatchObject({ uri: 'c1.sgy' });
    expect(extra).toBeNull();
    expect(warnings).toContain('document file unreadable; keeping its last content');
  });

  it('sees an edit made in place (same inode) at the next full listing; with fullScanMs 0, at the next read', async () => {
    const store = await FileDocumentStore.fromDirectory(dir, { id: 'documents', fullScanMs: 0 });
    expect((await store.findByUris(['edited.sgy']))[0]).toBeNull();
    // Rewritten in place, as `echo > file` does: the folder's mtime does not move, the file's does.
    fs.writeFileSync(
      path.join(dir, 'cubes.geojson'),
      JSON.stringify({
        type: 'FeatureCollection',
        features: [{ type: 'Feature', geometry: null, properties: { uri: 'edited.sgy' } }],
      }),
    );
    expect((await store.findByUris(['edited.sgy', 'c0.sgy'])).map((d) => (d && !(d instanceof Error) ? d.uri : d))).toEqual([
      'edited.sgy',
      null,
    ]);
  });

  it('takes over a lock whose holder is dead, and waits for a live one', async () => {
    // A pid that is surely not running: the lock of a replica that crashed mid-write.
    await writeFile(path.join(dir, LOCK_FILE), `${os.hostname()}\n2147483646\n`);
    expect(await withDirectoryLock(dir, async () => 'ran')).toBe('ran');
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);

    await writeFile(path.join(dir, LOCK_FILE), `${os.hostname()}\n${process.pid}\n`);
    await expect(withDirectoryLock(dir, async () => 'ran', { timeoutMs: 100 })).rejects.toThrow(/stayed locked/);
    // The same live holder, silent past staleMs (a host that went away): taken over.
    const old = new Date(Date.now() - 60_000);
    await utimes(path.join(dir, LOCK_FILE), old, old);
    expect(await withDirectoryLock(dir, async () => 'ran', { staleMs: 30_000 })).toBe('ran');
  });
});
