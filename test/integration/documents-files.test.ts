import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileDocumentStore, readDocumentDirectory, type FileDocument } from '../../src/connectors/documents/file-document-store';
import { geometriesIntersect } from '../../src/connectors/documents/planar-intersects';
import { BadUserInputError } from '../../src/errors';
import { documentStoreContract } from './documents-store.contract';

documentStoreContract('directory of GeoJSON / JSON files', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'provml-documents-'));
  let documents: FileDocument[] = [];
  return {
    async load(docs) {
      // The demo Feature as a .geojson file, the rest as a FeatureCollection and a JSON array.
      await mkdir(path.join(dir, 'cubes'));
      await writeFile(path.join(dir, 'cubes', 'netherlands.geojson'), JSON.stringify(docs[0]));
      const features = docs.slice(1).filter((d) => d.type === 'Feature');
      const plain = docs.slice(1).filter((d) => d.type !== 'Feature');
      await writeFile(path.join(dir, 'cubes', 'others.geojson'), JSON.stringify({ type: 'FeatureCollection', features }));
      await writeFile(path.join(dir, 'plain.json'), JSON.stringify(plain));
      await writeFile(path.join(dir, 'notes.txt'), 'ignored');
      documents = await readDocumentDirectory(dir);
    },
    create: (options) => new FileDocumentStore(documents, { id: 'documents-files', ...options }),
    stop: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('FileDocumentStore loading', () => {
  it('loads the demo directory and names a file that is not JSON', async () => {
    const demo = await FileDocumentStore.fromDirectory(path.join(__dirname, '../../examples/stores/documents'), { id: 'demo' });
    const [doc] = await demo.findByUris(['/data/netherlands.sgy']);
    expect(doc).toMatchObject({ id: 'netherlands.geojson#0', properties: { basin: 'Southern North Sea' } });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'provml-documents-bad-'));
    try {
      await writeFile(path.join(dir, 'broken.geojson'), '{"type": "Feature",');
      const err = await readDocumentDirectory(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadUserInputError);
      expect((err as Error).message).toMatch(/broken\.geojson is not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('treats touching shapes as intersecting and disjoint bounding boxes as not', () => {
    const a = {
      type: 'Polygon' as const,
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
          [0, 0],
        ] as [number, number][],
      ],
    };
    const b = {
      type: 'Polygon' as const,
      coordinates: [
        [
          [1, 0],
          [2, 0],
          [2, 1],
          [1, 1],
          [1, 0],
        ] as [number, number][],
      ],
    };
    expect(geometriesIntersect(a, b)).toBe(true);
    expect(geometriesIntersect(a, { type: 'Point', coordinates: [1, 0.5] })).toBe(true);
    expect(geometriesIntersect(a, { type: 'Point', coordinates: [1.0001, 0.5] })).toBe(false);
    expect(
      geometriesIntersect(
        {
          type: 'LineString',
          coordinates: [
            [-1, 2],
            [2, -1],
          ],
        },
        a,
      ),
    ).toBe(true);
    expect(
      geometriesIntersect(
        {
          type: 'LineString',
          coordinates: [
            [-1, 3],
            [3, 1.5],
          ],
        },
        a,
      ),
    ).toBe(false);
  });
});
