import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadStoreRegistry, StoreRegistryError } from '../../src/connectors/store-registry';

// The store registry file (provml.config.json|yaml): parsed once, every problem reported together,
// secrets only from the environment map it is given.
describe('store registry', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'provml-registry-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('without a file, opens the embedded demo stores', async () => {
    const registry = await loadStoreRegistry({ env: {} });
    try {
      expect(registry.source).toBe('demo');
      expect(registry.stores.map((s) => [s.id, s.kind, s.backend])).toEqual([
        ['fs', 'fs', 'fs'],
        ['knowledge', 'sparql', 'oxigraph'],
        ['documents', 'mongodb', 'files'],
      ]);
      expect(registry.keyFor('knowledge', '/data/netherlands.sgy')).toBe('http://ibm.com/netherlands.sgy');
      expect(registry.keyFor('fs', '/data/netherlands.sgy')).toBe('/data/netherlands.sgy');
    } finally {
      await registry.close();
    }
  });

  it('reads YAML, rewrites by the longest uriMap prefix, takes secrets from the env map', async () => {
    const file = path.join(dir, 'provml.config.yaml');
    await writeFile(
      file,
      [
        'stores:',
        '  - id: files',
        '    kind: fs',
        `    options: { root: ${JSON.stringify(path.join(__dirname, '../../examples/stores/objects'))}, paths: rooted }`,
        '  - id: objects',
        '    kind: s3',
        '    endpoint: http://127.0.0.1:9',
        '    options: { bucket: demo }',
        '    secretsFromEnv: { accessKeyId: MY_KEY, secretAccessKey: MY_SECRET }',
        '    uriMap: { "/": "s3://demo/", "/models/": "s3://demo/trained/" }',
      ].join('\n'),
    );
    const registry = await loadStoreRegistry({ configPath: file, env: { MY_KEY: 'k', MY_SECRET: 's' } });
    try {
      expect(registry.kinds()).toEqual(
        new Map([
          ['files', 'fs'],
          ['objects', 's3'],
        ]),
      );
      expect(registry.keyFor('objects', '/models/model188.hdf5')).toBe('s3://demo/trained/model188.hdf5');
      expect(registry.keyFor('objects', '/input/train.hdf5')).toBe('s3://demo/input/train.hdf5');
      expect(registry.timeoutOf('objects')).toBe(10_000);
    } finally {
      await registry.close();
    }
  });

  it('reports every problem at once, naming store and field, never a secret value', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({
        stores: [
          { id: 'a', kind: 'fs', options: { root: '.' } },
          { id: 'a', kind: 'fs', options: { root: '.' } },
          {
            id: 'kg',
            kind: 'sparql',
            endpoint: 'http://127.0.0.1:9/sparql',
            secretsFromEnv: { password: 'KG_PASSWORD', user: 'KG_USER' },
          },
          { id: 'x', kind: 'ftp' },
          { id: 'm', kind: 'fs', options: { root: '.' }, uriMap: { '/': 42 } },
        ],
      }),
    );
    const err = (await loadStoreRegistry({ configPath: file, env: { KG_USER: 'alice' } }).catch(
      (e: unknown) => e,
    )) as StoreRegistryError;
    expect(err).toBeInstanceOf(StoreRegistryError);
    expect(err.problems.join('\n')).toMatch(/duplicate store id a/);
    expect(err.problems.join('\n')).toMatch(/store x: kind/);
    expect(err.problems.join('\n')).toMatch(/store m: uriMap/);
    // Secrets are checked when the stores open, after the entries are valid.
    const secrets = path.join(dir, 'secrets.json');
    await writeFile(
      secrets,
      JSON.stringify({
        stores: [
          {
            id: 'kg',
            kind: 'sparql',
            endpoint: 'http://127.0.0.1:9/sparql',
            secretsFromEnv: { password: 'KG_PASSWORD', user: 'KG_USER' },
          },
        ],
      }),
    );
    const err2 = (await loadStoreRegistry({ configPath: secrets, env: { KG_USER: 'alice' } }).catch(
      (e: unknown) => e,
    )) as StoreRegistryError;
    expect(err2.problems).toEqual(['store kg: secretsFromEnv.password: environment variable KG_PASSWORD is not set']);
    expect(err2.message).not.toContain('alice');
  });

  it('names the file when it is missing or not JSON', async () => {
    await expect(loadStoreRegistry({ configPath: path.join(dir, 'nope.json'), env: {} })).rejects.toThrow(
      /nope\.json:\n\s+cannot read: ENOENT/,
    );
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{ "stores": [');
    await expect(loadStoreRegistry({ configPath: file, env: {} })).rejects.toThrow(/not valid JSON/);
    await writeFile(file, '{ "stores": {} }');
    await expect(loadStoreRegistry({ configPath: file, env: {} })).rejects.toThrow(/stores: /);
  });
});
