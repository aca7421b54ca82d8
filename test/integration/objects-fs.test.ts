import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FsObjectStore } from '../../src/connectors/objects/fs-object-store';
import { ObjectPathEscapeError } from '../../src/connectors/objects/object-errors';
import { BadUserInputError, NotFoundError } from '../../src/errors';
import { objectStoreContract } from './objects-store.contract';

objectStoreContract('POSIX file system', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'provml-fs-objects-'));
  return {
    async put(key, body) {
      const file = path.join(root, key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, body);
      return file;
    },
    uriFor: (key) => path.join(root, key),
    create: (options) => new FsObjectStore({ id: 'objects-fs', root, ...options }),
    keeps: { userMetadata: false, presign: false },
    stop: () => rm(root, { recursive: true, force: true }),
  };
});

describe('FsObjectStore confinement', () => {
  let base: string;
  let root: string;
  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'provml-fs-confine-'));
    root = path.join(base, 'root');
    await mkdir(path.join(root, 'data'), { recursive: true });
    await mkdir(path.join(base, 'outside'));
    await writeFile(path.join(base, 'outside', 'secret.txt'), 'secret');
    await writeFile(path.join(root, 'data', 'netherlands.sgy'), 'SEGY');
    await symlink(path.join(base, 'outside', 'secret.txt'), path.join(root, 'data', 'leak.txt'));
    await symlink(path.join(base, 'outside'), path.join(root, 'outdir'));
    await symlink(path.join(root, 'data', 'netherlands.sgy'), path.join(root, 'inside-link.sgy'));
    await utimes(path.join(root, 'data', 'netherlands.sgy'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('refuses .., symlinks out of the root, and paths elsewhere, with ObjectPathEscapeError', async () => {
    const store = new FsObjectStore({ id: 'fs', root });
    const out = await store.stat([
      path.join(root, 'data', '..', '..', 'outside', 'secret.txt').replace(/\/outside/, '/root/../outside'),
      `${root}/data/../../outside/secret.txt`,
      path.join(root, 'data', 'leak.txt'),
      path.join(root, 'outdir', 'secret.txt'),
      path.join(root, 'outdir', 'missing.txt'),
      path.join(base, 'outside', 'secret.txt'),
    ]);
    out.forEach((slot) => {
      expect(slot).toBeInstanceOf(ObjectPathEscapeError);
      expect((slot as ObjectPathEscapeError).extensions).toMatchObject({
        code: 'FORBIDDEN_LOCATION',
        field: 'uri',
        reason: 'path-escape',
      });
    });
    await expect(store.readRange(path.join(root, 'data', 'leak.txt'), 0, 6)).rejects.toBeInstanceOf(ObjectPathEscapeError);
  });

  it('follows symlinks that stay inside, takes file:// URIs, and stats directories as null', async () => {
    const store = new FsObjectStore({ id: 'fs', root });
    const out = await store.stat([
      path.join(root, 'inside-link.sgy'),
      pathToFileURL(path.join(root, 'data', 'netherlands.sgy')).href,
      path.join(root, 'data'),
      'file://remote-host/data/x',
      'relative/path.sgy',
    ]);
    expect(out[0]).toMatchObject({ size: 4, contentType: 'application/x-segy', modified: new Date('2020-01-01T00:00:00Z') });
    expect(out[1]).toMatchObject({ size: 4, etag: out[0] && !(out[0] instanceof Error) ? out[0].etag : 'x' });
    expect(out[2]).toBeNull();
    expect(out[3]).toBeInstanceOf(BadUserInputError);
    expect(out[4]).toBeInstanceOf(BadUserInputError);
    await expect(store.readRange(path.join(root, 'data'), 0, 1)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('maps absolute paths under the root in rooted mode, as the demo references are written', async () => {
    const store = new FsObjectStore({ id: 'fs', root, paths: 'rooted' });
    const out = await store.stat([
      '/data/netherlands.sgy',
      'file:///data/netherlands.sgy',
      '/data/missing.sgy',
      '/outdir/secret.txt',
      '/../outside/secret.txt',
    ]);
    expect(out[0]).toMatchObject({ uri: '/data/netherlands.sgy', size: 4 });
    expect(out[1]).toMatchObject({ size: 4 });
    expect(out[2]).toBeNull();
    expect(out[3]).toBeInstanceOf(ObjectPathEscapeError);
    expect(out[4]).toBeInstanceOf(ObjectPathEscapeError);
    expect((await store.readRange('/data/netherlands.sgy', 1, 2)).toString()).toBe('EG');
  });
});
