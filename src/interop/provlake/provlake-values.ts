import { BadUserInputError } from '../../errors';

/**
 * ProvLake wraps some values (utils/args_handler.py) in `{prov_attr_type, values, ...}`:
 * `get_data_reference(value, datastore_id)` → `{prov_attr_type: "data_reference", values,
 * datastore_id}`; `get_dict` / `get_recursive_dicts` → `"dict"`; `get_list` → `"list"`;
 * `add_custom_metadata(value, custom_metadata)` → `"attribute_value"` with `custom_metadata`;
 * the vocabulary also names `"kg_reference"` (a knowledge-graph node, also kept as a data
 * reference). They become provml values: data references as `{"$ref", "store"}`, the rest plain.
 */
export interface ConvertedValues {
  values: Record<string, unknown>;
  /** custom_metadata given with `add_custom_metadata`, by attribute name. */
  customMetadata: Record<string, unknown>;
}

const REFERENCE_TYPES = new Set(['data_reference', 'kg_reference']);
const bad = (field: string, message: string) => new BadUserInputError(`invalid ProvLake value at ${field}: ${message}`, field);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function convert(v: unknown, field: string, meta?: (m: unknown) => void): unknown {
  if (Array.isArray(v)) return v.map((x, i) => convert(x, `${field}[${i}]`));
  if (!isObject(v)) return v;
  if (!('prov_attr_type' in v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convert(x, `${field}.${k}`)]));
  const type = v.prov_attr_type;
  const inner = v.values;
  if (typeof type === 'string' && REFERENCE_TYPES.has(type)) {
    if (typeof inner !== 'string' && typeof inner !== 'number') {
      throw bad(`${field}.values`, `a ${type} needs its reference (a string) in "values"`);
    }
    // args_handler writes `datastore_id`; the service vocabulary says `data_store_id`.
    const store = v.datastore_id ?? v.data_store_id;
    if (store !== undefined && store !== null && (typeof store !== 'string' || !store.length)) {
      throw bad(`${field}.datastore_id`, 'a data store id must be a non-empty string');
    }
    return store ? { $ref: String(inner), store } : { $ref: String(inner) };
  }
  switch (type) {
    case 'dict':
      if (!isObject(inner)) throw bad(`${field}.values`, 'a dict attribute needs an object in "values"');
      return convert(inner, `${field}.values`);
    case 'list':
      if (!Array.isArray(inner)) throw bad(`${field}.values`, 'a list attribute needs an array in "values"');
      return convert(inner, `${field}.values`);
    case 'attribute_value':
      if (meta && v.custom_metadata !== undefined) meta(v.custom_metadata);
      return convert(inner, `${field}.values`);
    default:
      throw bad(
        `${field}.prov_attr_type`,
        `unknown prov_attr_type ${JSON.stringify(type)}; one of data_reference, kg_reference, dict, list, attribute_value`,
      );
  }
}

/** Converts one request's `values`; `field` names them in errors (`body[0].prov_obj.values`). */
export function convertValues(values: Record<string, unknown> | null | undefined, field: string): ConvertedValues {
  const out: ConvertedValues = { values: {}, customMetadata: {} };
  for (const [name, v] of Object.entries(values ?? {})) {
    out.values[name] = convert(v, `${field}.${name}`, (m) => (out.customMetadata[name] = m));
  }
  return out;
}
