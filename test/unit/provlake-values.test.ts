import { convertValues } from '../../src/interop/provlake/provlake-values';

// Wrappers as utils/args_handler.py of the ProvLake library writes them (0.2.982, and before April 2021).
describe('ProvLake values', () => {
  it('unwraps every wrapper and keeps what it says besides the value, per attribute', () => {
    const item = (values: unknown, order: number) => ({
      values: { prov_attr_type: 'dict', values },
      prov_attr_type: 'dataset_item',
      order,
      dataset_id: 'd1',
    });
    const c = convertValues(
      {
        seismic: { values: 'http://ibm.org/Netherlands', prov_attr_type: 'data_reference', data_store_id: 'Allegro1' },
        legacy: { values: '/data/a.sgy', prov_attr_type: 'data_reference', datastore_id: 'fs' },
        node: { values: 'pml:Basin1', prov_attr_type: 'kg_reference' },
        rows: { prov_attr_type: 'dataset', values: [item({ a: 1 }, 0), item({ a: 2 }, 1)], dataset_schema_id: 's1' },
        arg: { prov_attr_type: 'attribute_value', values: { myval2: 'val2' }, custom_metadata: { custom: 1 } },
        files: {
          prov_attr_type: 'list',
          values: [{ prov_attr_type: 'attribute_value', values: 'a.dat', custom_metadata: { k: 2 } }],
        },
        plain: [1, 2, 3],
      },
      'body[0].prov_obj.values',
    );
    expect(c.values).toEqual({
      seismic: { $ref: 'http://ibm.org/Netherlands', store: 'Allegro1' },
      legacy: { $ref: '/data/a.sgy', store: 'fs' },
      node: { $ref: 'pml:Basin1' },
      rows: [{ a: 1 }, { a: 2 }],
      arg: { myval2: 'val2' },
      files: ['a.dat'],
      plain: [1, 2, 3],
    });
    expect(c.metadata).toEqual({
      rows: {
        dataset_schema_id: 's1',
        nested: { '[0]': { order: 0, dataset_id: 'd1' }, '[1]': { order: 1, dataset_id: 'd1' } },
      },
      arg: { custom_metadata: { custom: 1 } },
      files: { nested: { '[0]': { custom_metadata: { k: 2 } } } },
    });
  });

  it('names the field of a wrapper it cannot read', () => {
    expect(() => convertValues({ f: { prov_attr_type: 'data_reference', data_store_id: 'fs' } }, 'v')).toThrow(/v\.f\.values/);
    expect(() => convertValues({ f: { prov_attr_type: 'data_reference', values: 'x', data_store_id: '' } }, 'v')).toThrow(
      /v\.f\.data_store_id/,
    );
    expect(() => convertValues({ f: { prov_attr_type: 'tensor', values: 1 } }, 'v')).toThrow(/v\.f\.prov_attr_type/);
  });
});
