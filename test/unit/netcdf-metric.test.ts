import fs from 'node:fs';
import path from 'node:path';
import { readNetcdfMetric, shortestFloat32 } from '../../src/interop/netcdf-metric';
import { readNetcdfClassic } from '../../src/interop/netcdf-classic';

// Files written by the netCDF4 library (make_netcdf.py, in yProvML's layout): the values it wrote.
const metrics = path.join(__dirname, '../fixtures/yprov4ml/upstream/mnist_exp_13/metrics');
const read = (name: string) => new Uint8Array(fs.readFileSync(path.join(metrics, name)));
const T0 = 1760968917183;

describe('NetCDF metric files', () => {
  it.each([
    ['MSE_train_Context.TRAINING_GR0.nc', 'NetCDF-4', [0, 0, 1, 1, 2, 2], [0.094, 0.081, 0.052, 0.047, 0.031, 0.029]],
    ['param_lr_Context.TRAINING_GR0.nc', 'NetCDF-4', [0], [0.001]],
    ['ACC_val_Context.VALIDATION_GR0.nc', 'NetCDF-4', [0, 1, 2], [0.71, 0.83, 0.9]],
    ['cpu_usage_Context.TRAINING_GR0.nc', 'CDF-1', [0, 1, 2], [12.5, 37.25, 40]],
    ['memory_usage_Context.TRAINING_GR0.nc', 'CDF-2', [0, 1, 2], [61.5, 62, 62.75]],
    ['disk_usage_Context.TRAINING_GR0.nc', 'CDF-5', [0, 1, 2], [48.125, 48.125, 48.25]],
  ])('%s (%s): epochs, values and timestamps as written', async (file, format, steps, values) => {
    const m = await readNetcdfMetric(read(file));
    expect(m.format).toBe(format);
    expect(m.points.map((p) => p.step)).toEqual(steps);
    expect(m.points.map((p) => p.value)).toEqual(values);
    expect(m.points.map((p) => p.time)).toEqual(values.map((_, i) => T0 + 1000 * (i + 1)));
    expect(m.attributes).toMatchObject({
      _name: file.replace(/_Context.*$/, ''),
      _source: expect.stringMatching(/^LoggingItemKind\./),
    });
  });

  it('reads one experiment row of a unified file, and refuses to guess among several', async () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(__dirname, '../fixtures/yprov4ml/netcdf/loss_two_runs.nc')));
    expect((await readNetcdfMetric(bytes, 1)).points.map((p) => [p.step, p.value])).toEqual([
      [0, 2.5],
      [1, 2],
    ]);
    expect((await readNetcdfMetric(bytes, 0)).points).toHaveLength(3);
    await expect(readNetcdfMetric(bytes)).rejects.toThrow(/2 experiment rows/);
  });

  it('says what is wrong with a file that is not NetCDF or is cut short', async () => {
    await expect(readNetcdfMetric(new TextEncoder().encode('epoch,value\n0,1\n'))).rejects.toThrow(/not NetCDF/);
    const cpu = read('cpu_usage_Context.TRAINING_GR0.nc');
    expect(() => readNetcdfClassic(cpu.subarray(0, 40))).toThrow(/header ends early/);
    expect(() => readNetcdfClassic(cpu.subarray(0, cpu.length - 8))).toThrow(/past the end of the file/);
    const hdf5 = read('param_lr_Context.TRAINING_GR0.nc');
    await expect(readNetcdfMetric(hdf5.subarray(0, 600))).rejects.toThrow();
  });

  it('writes float32 values as the shortest decimal that reads back the same', () => {
    expect(shortestFloat32(Math.fround(0.001))).toBe(0.001);
    expect(shortestFloat32(Math.fround(0.1) + 0)).toBe(0.1);
    expect(shortestFloat32(16777217)).toBe(16777216);
  });
});
