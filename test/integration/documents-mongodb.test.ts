import { MongoClient } from 'mongodb';
import { MongoDocumentStore } from '../../src/connectors/documents/mongo-document-store';
import { StoreUnavailableError } from '../../src/errors';
import { mongoAvailability, startMongo } from '../helpers/mongodb';
import { freePort } from '../helpers/virtuoso';
import { documentStoreContract } from './documents-store.contract';

const availability = mongoAvailability();

if (availability.kind === 'none') {
  // Said plainly, in the run's output and in the test list, never a silent pass.
  process.stderr.write(`\nSKIPPED: live MongoDB document-store tests: ${availability.reason}\n\n`);
  describe('DocumentStore contract: MongoDB (live)', () => {
    it.skip(`SKIPPED: ${availability.reason}`, () => undefined);
  });
} else {
  documentStoreContract(`MongoDB (${availability.kind})`, async () => {
    const server = await startMongo(availability);
    const collection = server.client.db(server.dbName).collection('documents');
    return {
      async load(docs) {
        await collection.insertMany(docs.map((d) => ({ ...d })));
        await new MongoDocumentStore(collection, { id: 'documents-mongo' }).ensureIndexes();
      },
      create: (options) => new MongoDocumentStore(collection, { id: 'documents-mongo', ...options }),
      stop: () => server.stop(),
    };
  });
}

// Needs no server: nothing listens on the port, so the driver's server selection fails.
describe('MongoDocumentStore with no server', () => {
  it('puts StoreUnavailableError naming the store in every slot, and keeps bad input bad', async () => {
    const client = new MongoClient(`mongodb://127.0.0.1:${await freePort()}`, { serverSelectionTimeoutMS: 300 });
    try {
      const store = new MongoDocumentStore(client.db('x').collection('y'), { id: 'docs-down', timeoutMs: 3000 });
      const out = await store.findByUris(['http://ibm.com/netherlands.sgy', '']);
      expect(out[0]).toBeInstanceOf(StoreUnavailableError);
      expect((out[0] as StoreUnavailableError).extensions).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'docs-down' });
      expect(out[1]).not.toBeInstanceOf(StoreUnavailableError);
      await expect(store.intersects({ type: 'Point', coordinates: [4.7, 54.9] }, 5)).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      await client.close();
    }
  });
});
