import { BadUserInputError } from '../../errors';

/**
 * ProvLake wraps some values (utils/args_handler.py) in `{prov_attr_type, values, ...}`:
 * `get_data_reference(value, data_store_id)` → `{values, prov_attr_type: "data_reference",
 * data_store_id}` (before April 2021 the key was `datastore_id`; both are read), `get_kg_reference`
 * → `"kg_reference"` (a knowledge-graph node, also a data reference); `get_dict` /
 * `get_recursive_dicts` → `"dict"`; `get_list` → `"list"`; `get_dataset` → `"dataset"` (a list of
 * `get_dataset_item` → `"dataset_item"`, with `dataset_schema_id`, `order`, `dataset_id`);
 * `add_custom_metadata(value, custom_metadata)` → `"attribute_value"` with `custom_metadata`.
 * They become provml values: data references as `{"$ref", "store"}`, the rest unwrapped. What a
 * wrapper says besides its value (custom_metadata, dataset ids, item order) is kept per attribute
 * in `metadata`: for the attribute itself at the top, for a wrapper inside it under `nested`, by
 * its path (`values[2]`, `.subnode`).
 */
export interface ConvertedValues {
  values: Record<string, unknown>;
  /** What the wrappers of each attribute said besides the value, by attribute name. */
  metadata: Record<string, Record<string, unknown>>;
}

const REFERENCE_TYPES = new Set(['data_reference', 'kg_reference']);
const TYPES = 'data_reference, kg_reference, dict, list, dataset, dataset_item, attribute_value';
// Keys of a wrapper that are its value or its type; every other key is metadata about it.
const WRAPPER_KEYS = new Set(['prov_attr_type', 'values', 'data_store_id', 'datastore_id']);
const bad = (field: string, message: string) => new BadUserInputError(`invalid ProvLake value at ${field}: ${message}`, field);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Meta = (path: string, extras: Record<string, unknown>) => void;

function convert(v: unknown, field: string, path: string, meta: Meta): unknown {
  if (Array.isArray(v)) return v.map((x, i) => convert(x, `${field}[${i}]`, `${path}[${i}]`, meta));
  if (!isObject(v)) return v;
  if (!('prov_attr_type' in v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convert(x, `${field}.${k}`, `${path}.${k}`, meta)]));
  const type = v.prov_attr_type;
  const inner = v.values;
  const extras = Object.fromEntries(Object.entries(v).filter(([k, x]) => !WRAPPER_KEYS.has(k) && x !== undefined && x !== null));
  if (Object.keys(extras).length) meta(path, extras);
  if (typeof type === 'string' && REFERENCE_TYPES.has(type)) {
    if (typeof inner !== 'string' && typeof inner !== 'number') {
      throw bad(`${field}.values`, `a ${type} needs its reference (a string) in "values"`);
    }
    const store = v.data_store_id ?? v.datastore_id;
    if (store !== undefined && store !== null && (typeof store !== 'string' || !store.length)) {
      throw bad(`${field}.data_store_id`, 'a data store id must be a non-empty string');
    }
    return store ? { $ref: String(inner), store } : { $ref: String(inner) };
  }
  switch (type) {
    case 'dict':
      if (!isObject(inner)) throw bad(`${field}.values`, 'a dict attribute needs an object in "values"');
      return convert(inner, `${field}.values`, path, meta);
    case 'list':
    case 'dataset':
      if (!Array.isArray(inner)) throw bad(`${field}.values`, `a ${type} attribute needs an array in "values"`);
      return convert(inner, `${field}.values`, path, meta);
    case 'dataset_item':
    case 'attribute_value':
      return convert(inner, `${field}.values`, path, meta);
    default:
      throw bad(`${field}.prov_attr_type`, `unknown prov_attr_type ${JSON.stringify(type)}; one of ${TYPES}`);
  }
}

/** Converts one request's `values`; `field` names them in errors (`body[0].prov_obj.values`). */
export function convertValues(values: Record<string, unknown> | null | undefined, field: string): ConvertedValues {
  const out: ConvertedValues = { values: {}, metadata: {} };
  for (const [name, v] of Object.entries(values ?? {})) {
    out.values[name] = convert(v, `${field}.${name}`, '', (path, extras) => {
      const m = (out.metadata[name] ??= {});
      if (!path) Object.assign(m, extras);
      else ((m.nested ??= {}) as Record<string, unknown>)[path] = extras;
    });
  }
  return out;
}
