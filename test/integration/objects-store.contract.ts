import { BadUserInputError, LimitExceededError, NotFoundError } from '../../src/errors';
import type { ObjectMetadata, ObjectStore } from '../../src/connectors/objects/object-store';

/** One contract for every ObjectStore backend; the backend writes objects by its own means. */
export interface ObjectBackend {
  put(key: string, body: Buffer, options?: { contentType?: string; metadata?: Record<string, string> }): Promise<string>;
  /** The URI a key has in this store, whether or not it exists. */
  uriFor(key: string): string;
  create(options: { maxRangeBytes?: number }): ObjectStore;
  /** What the backend keeps beyond size and time. */
  keeps: { userMetadata: boolean; presign: boolean };
  stop(): Promise<void>;
}

const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) % 256));

export function objectStoreContract(name: string, start: () => Promise<ObjectBackend>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let backend: ObjectBackend;
    let store: ObjectStore;
    let sgy: string;
    let model: string;
    const sgyBody = bytes(3600 + 400 + 1000);

    beforeAll(async () => {
      backend = await start();
      store = backend.create({ maxRangeBytes: 4096 });
      sgy = await backend.put('data/netherlands.sgy', sgyBody, {
        contentType: 'application/x-segy',
        metadata: { basin: 'southern-north-sea' },
      });
      model = await backend.put('models/model188.hdf5', bytes(10), { contentType: 'application/x-hdf5' });
    });
    afterAll(async () => {
      await store?.close();
      await backend?.stop();
    });

    it('stats a batch in key order, with null for a missing object', async () => {
      const before = Date.now();
      const out = await store.stat([sgy, backend.uriFor('data/missing.sgy'), model, sgy]);
      expect(out).toHaveLength(4);
      const meta = out[0] as ObjectMetadata;
      expect(meta).toMatchObject({ uri: sgy, size: sgyBody.length, contentType: 'application/x-segy' });
      expect(meta.etag).toEqual(expect.any(String));
      expect(meta.modified).toBeInstanceOf(Date);
      expect(Math.abs(meta.modified.getTime() - before)).toBeLessThan(120_000);
      expect(meta.metadata).toEqual(backend.keeps.userMetadata ? { basin: 'southern-north-sea' } : {});
      expect(out[1]).toBeNull();
      expect(out[2]).toMatchObject({ uri: model, size: 10, contentType: 'application/x-hdf5' });
      expect(out[3]).toEqual(meta);
      expect(await store.stat([])).toEqual([]);
    });

    it('changes the etag when the object changes', async () => {
      const uri = await backend.put('data/changing.bin', bytes(5));
      const [first] = (await store.stat([uri])) as ObjectMetadata[];
      await new Promise((r) => setTimeout(r, 20));
      await backend.put('data/changing.bin', bytes(6));
      const [second] = (await store.stat([uri])) as ObjectMetadata[];
      expect(second.size).toBe(6);
      expect(second.etag).not.toEqual(first.etag);
    });

    it('reads byte ranges: head, middle, a short tail, and nothing past the end', async () => {
      expect(await store.readRange(sgy, 0, 16)).toEqual(sgyBody.subarray(0, 16));
      expect(await store.readRange(sgy, 3600, 400)).toEqual(sgyBody.subarray(3600, 4000));
      expect(await store.readRange(sgy, sgyBody.length - 5, 100)).toEqual(sgyBody.subarray(sgyBody.length - 5));
      expect((await store.readRange(sgy, sgyBody.length + 10, 10)).length).toBe(0);
      expect((await store.readRange(sgy, 0, 0)).length).toBe(0);
    });

    it('refuses bad ranges and missing objects with typed errors', async () => {
      await expect(store.readRange(backend.uriFor('data/missing.sgy'), 0, 10)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.readRange(sgy, -1, 10)).rejects.toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', field: 'offset' },
      });
      await expect(store.readRange(sgy, 0, 1.5)).rejects.toMatchObject({ extensions: { field: 'length' } });
      await expect(store.readRange(sgy, 0, 4097)).rejects.toBeInstanceOf(LimitExceededError);
    });

    it('puts a BadUserInputError in the slot of a URI this store does not take', async () => {
      const out = await store.stat(['http://ibm.com/netherlands.sgy', sgy, '']);
      expect(out[0]).toBeInstanceOf(BadUserInputError);
      expect((out[0] as BadUserInputError).extensions).toMatchObject({ field: 'uri' });
      expect(out[1]).toMatchObject({ size: sgyBody.length });
      expect(out[2]).toBeInstanceOf(BadUserInputError);
    });

    it('presigns a download URL that serves the object, where the store can', async () => {
      if (!backend.keeps.presign) {
        expect(store.presign).toBeUndefined();
        return;
      }
      const url = await store.presign!(model, 60);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes(10));
      await expect(store.presign!(model, 0)).rejects.toMatchObject({ extensions: { field: 'ttlSeconds' } });
    });
  });
}
