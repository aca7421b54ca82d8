import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BadUserInputError } from '../../src/errors';
import type { DocumentStore, StoredDocument } from '../../src/connectors/documents/document-store';

/** One contract for every DocumentStore backend, over the demo polygon and a few neighbours. */
export interface DocumentBackend {
  /** Stores the documents as they are (GeoJSON Features or plain objects). */
  load(documents: Array<Record<string, unknown>>): Promise<void>;
  create(options: { keyField?: string }): DocumentStore;
  stop(): Promise<void>;
}

const SGY = 'http://ibm.com/netherlands.sgy';
// The demo cube's document with the hand-drawn outline the query shapes below were chosen
// around (the checked-in demo file now holds the footprint extraction computes).
export const DEMO_FEATURE = {
  ...(JSON.parse(readFileSync(path.join(__dirname, '../../examples/stores/documents/netherlands.geojson'), 'utf8')) as Record<
    string,
    unknown
  >),
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [4.52, 54.82],
        [4.98, 54.81],
        [4.99, 54.99],
        [4.53, 55.0],
        [4.52, 54.82],
      ],
    ],
  },
} as Record<string, unknown>;

const square = (x: number, y: number, d: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, y],
      [x + d, y],
      [x + d, y + d],
      [x, y + d],
      [x, y],
    ],
  ],
});

export const EXTRA_DOCUMENTS: Array<Record<string, unknown>> = [
  // A plain document keyed at top level, with a point geometry inside the F3 polygon.
  { uri: 'http://ibm.com/well/F03-4', geometry: { type: 'Point', coordinates: [4.7, 54.9] }, depthM: 1499, code: 'F03-4' },
  // A cube far away (Gulf of Mexico), and a cube with a hole around (4.75, 54.9).
  { type: 'Feature', geometry: square(-94, 27, 0.5), properties: { uri: 'http://ibm.com/gulf.sgy', basin: 'Gulf of Mexico' } },
  {
    type: 'Feature',
    geometry: { type: 'Polygon', coordinates: [square(4.6, 54.85, 0.3).coordinates[0], square(4.7, 54.88, 0.1).coordinates[0]] },
    properties: { uri: 'http://ibm.com/holed.sgy' },
  },
  { uri: 'urn:no-geometry', note: 'no shape' },
];

export function documentStoreContract(name: string, start: () => Promise<DocumentBackend>): void {
  describe(`DocumentStore contract: ${name}`, () => {
    let backend: DocumentBackend;
    let store: DocumentStore;
    beforeAll(async () => {
      backend = await start();
      await backend.load([DEMO_FEATURE, ...EXTRA_DOCUMENTS]);
      store = backend.create({});
    });
    afterAll(async () => {
      await store?.close();
      await backend?.stop();
    });
    const uris = (docs: StoredDocument[]) => docs.map((d) => d.uri).sort();

    it('finds documents by URI in key order, by any of their keys, with null for unknown ones', async () => {
      const out = await store.findByUris([
        SGY,
        '/data/netherlands.sgy',
        'http://ibm.com/unknown.sgy',
        'http://ibm.com/well/F03-4',
        SGY,
      ]);
      const cube = out[0] as StoredDocument;
      expect(cube.uri).toBe(SGY);
      expect(cube.geometry).toEqual((DEMO_FEATURE as { geometry: unknown }).geometry);
      expect(cube.properties).toMatchObject({
        basin: 'Southern North Sea',
        field: 'F3 block',
        inlineRange: [100, 750],
        crosslineRange: [300, 1250],
      });
      expect(out[1]).toMatchObject({ uri: '/data/netherlands.sgy', id: cube.id });
      expect(out[2]).toBeNull();
      expect(out[3]).toMatchObject({
        geometry: { type: 'Point', coordinates: [4.7, 54.9] },
        properties: { depthM: 1499, code: 'F03-4' },
      });
      expect((out[3] as StoredDocument).properties).not.toHaveProperty('geometry');
      expect((out[3] as StoredDocument).properties).not.toHaveProperty('_id');
      expect(out[4]).toEqual(cube);
      expect(await store.findByUris([])).toEqual([]);
    });

    it('answers documents without geometry, and puts BadUserInputError in invalid slots', async () => {
      const out = await store.findByUris(['urn:no-geometry', '', 42 as unknown as string, '{"$ne":null}']);
      expect(out[0]).toMatchObject({ geometry: null, properties: { note: 'no shape' } });
      expect(out[1]).toBeInstanceOf(BadUserInputError);
      expect(out[2]).toBeInstanceOf(BadUserInputError);
      expect(out[3]).toBeNull();
    });

    it('finds the cubes whose polygon a query geometry intersects', async () => {
      // A box over the south-west corner of the F3 cube.
      expect(uris(await store.intersects(square(4.3, 54.6, 0.28), 10))).toEqual([SGY]);
      // A box inside both F3 and the holed cube's outer ring.
      expect(uris(await store.intersects(square(4.62, 54.86, 0.02), 10))).toEqual(['http://ibm.com/holed.sgy', SGY]);
      // A point in the hole hits F3 but not the holed cube.
      expect(uris(await store.intersects({ type: 'Point', coordinates: [4.75, 54.93] }, 10))).toEqual([SGY]);
      // A line crossing F3 without a vertex inside.
      expect(
        uris(
          await store.intersects(
            {
              type: 'LineString',
              coordinates: [
                [4.4, 54.95],
                [5.1, 54.95],
              ],
            },
            10,
          ),
        ),
      ).toEqual(['http://ibm.com/holed.sgy', SGY]);
      // The Gulf of Mexico only.
      expect(uris(await store.intersects(square(-95, 26, 2), 10))).toEqual(['http://ibm.com/gulf.sgy']);
      expect(await store.intersects(square(10, 10, 1), 10)).toEqual([]);
      // Polygon containing the well point.
      expect(uris(await store.intersects(square(4.698, 54.898, 0.004), 10))).toEqual(
        ['http://ibm.com/holed.sgy', SGY, 'http://ibm.com/well/F03-4'].sort(),
      );
    });

    it('bounds results by limit and names the field of bad geometry or limit', async () => {
      expect(await store.intersects(square(4.0, 54.0, 2), 2)).toHaveLength(2);
      const bad: Array<[unknown, number, string]> = [
        [
          {
            type: 'Polygon',
            coordinates: [
              [
                [4, 54],
                [5, 54],
                [5, 55],
                [4, 54.5],
              ],
            ],
          },
          5,
          'geometry.coordinates[0]',
        ],
        [{ type: 'Point', coordinates: [200, 54] }, 5, 'geometry.coordinates[0]'],
        [{ type: 'Circle', coordinates: [4, 54] }, 5, 'geometry.type'],
        [{ $where: 'sleep(1000)' }, 5, 'geometry.type'],
        [square(4, 54, 1), 0, 'limit'],
      ];
      for (const [geometry, limit, field] of bad) {
        const err = await store.intersects(geometry, limit).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BadUserInputError);
        expect((err as BadUserInputError).extensions).toMatchObject({ field });
      }
    });

    it('keys documents by a configured field', async () => {
      const byCode = backend.create({ keyField: 'code' });
      const [well] = await byCode.findByUris(['F03-4']);
      expect(well).toMatchObject({ uri: 'F03-4', properties: { depthM: 1499 } });
      expect(() => backend.create({ keyField: '$where' })).toThrow(BadUserInputError);
    });
  });
}
