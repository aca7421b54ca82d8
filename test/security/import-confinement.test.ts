import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMetricFile } from '../../src/interop/metric-files';

/**
 * Attack suite, `provml import` (runs on the user's machine): a yProv4ML document names metric
 * files, and one from elsewhere may name files outside its folder, hoping the importer reads
 * them and sends their numbers to a server. Only files whose real path lies below the
 * document's folder are read; a job's absolute path is still found by its tail below the folder.
 */
describe('attack suite: yProv4ML import reads metric files only below the document', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provml-import-attack-'));
  const docDir = path.join(dir, 'doc');
  const outside = path.join(dir, 'outside');
  beforeAll(() => {
    fs.mkdirSync(path.join(docDir, 'metrics'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(docDir, 'metrics', 'loss.csv'), 'step,value\n1,0.5\n2,0.25\n');
    fs.writeFileSync(path.join(outside, 'private.csv'), 'step,value\n1,42\n');
    fs.symlinkSync(outside, path.join(docDir, 'metrics', 'link'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['an absolute path outside', () => path.join(outside, 'private.csv')],
    ['a relative path with ..', () => '../outside/private.csv'],
    ['a symlink out of the folder', () => 'metrics/link/private.csv'],
  ])('does not read %s', async (_what, file) => {
    const r = await readMetricFile(file(), docDir);
    expect(r.report).toMatchObject({ status: 'not-found', foundAt: null, points: 0 });
    expect(r.points).toEqual([]);
  });

  it('reads what lies below the folder, also when the job wrote an absolute path of its own machine', async () => {
    for (const written of ['metrics/loss.csv', '/home/job/run-17/metrics/loss.csv']) {
      const r = await readMetricFile(written, docDir);
      expect(r.report).toMatchObject({ status: 'read', foundAt: path.join(docDir, 'metrics', 'loss.csv'), points: 2 });
    }
  });
});
