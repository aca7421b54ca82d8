import { z } from 'zod';
import { BadUserInputError } from '../../errors';
import { parseWorkflowSpec, type AttributeRole, type WorkflowSpec } from '../../ingest/workflow-spec';

/**
 * ProvLake's prospective provenance (the dataflow structure a script sends to
 * `<service>/prospective-provenance` with `insert_prospective=True`; shape from
 * utils/prov_utils.py `build_generic_prospective` / `build_prov_for_transformation` and
 * tests/test_data/prospective_json/synthetic_dataflow.json):
 *
 *   { context_name, dataflow_name, description?, storages: {...},
 *     data_transformations: { <dt>: { input_datasets: [{ attributes: [attr...] }],
 *                                     output_datasets: [{ attributes: [attr...] }] } } }
 *   attr = { name, dtype, semantics?: PARAMETER | FILE_REFERENCE | OUTPUT_VALUE | ...,
 *            ml_semantics?: hyper_parameter | data_characteristic | dataset | evaluation_measure | model,
 *            storage_references?, attributes? (nested, for complex attributes) }
 *
 * It becomes a provml workflow spec of the same name; `ml_semantics` gives the PROV-ML role.
 */
const Attribute = z
  .object({ name: z.string().min(1).max(200), semantics: z.string().nullish(), ml_semantics: z.string().nullish() })
  .passthrough();
const Dataset = z.object({ attributes: z.array(Attribute).max(1000).nullish() }).passthrough();
const Transformation = z
  .object({ input_datasets: z.array(Dataset).max(100).nullish(), output_datasets: z.array(Dataset).max(100).nullish() })
  .passthrough();
export const ProspectiveSchema = z
  .object({
    dataflow_name: z.string().min(1).max(200),
    context_name: z.string().max(200).nullish(),
    description: z.string().max(10_000).nullish(),
    data_transformations: z.record(z.string().min(1).max(200), Transformation).default({}),
  })
  .passthrough();

const ML_ROLE: Record<string, AttributeRole> = {
  hyper_parameter: 'LEARNING_HYPERPARAMETER',
  data_characteristic: 'DATASET_CHARACTERISTIC',
  dataset: 'LEARNING_DATASET_REFERENCE',
  evaluation_measure: 'EVALUATION_MEASURE',
  model: 'MODEL_REFERENCE',
};
// Roles that only a learning stage has: a data transformation with one of them is a LearningStage.
const LEARNING_ROLES = new Set<AttributeRole>(['LEARNING_HYPERPARAMETER', 'EVALUATION_MEASURE', 'MODEL_REFERENCE']);

function roleOf(a: z.output<typeof Attribute>, field: string): AttributeRole {
  if (a.ml_semantics) {
    const role = ML_ROLE[a.ml_semantics];
    if (!role)
      throw new BadUserInputError(
        `unknown ml_semantics ${JSON.stringify(a.ml_semantics)}; one of ${Object.keys(ML_ROLE).join(', ')}`,
        `${field}.ml_semantics`,
      );
    return role;
  }
  return a.semantics === 'FILE_REFERENCE' ? 'DATA_REFERENCE' : 'PARAMETER';
}

/** Validates a prospective body and builds the spec, naming the field at fault. */
export function prospectiveToSpec(body: unknown): WorkflowSpec {
  const parsed = ProspectiveSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ field: ['body', ...i.path].join('.'), message: i.message }));
    throw new BadUserInputError(
      `invalid ProvLake prospective provenance at ${problems[0].field}: ${problems[0].message}`,
      problems[0].field,
      { problems },
    );
  }
  const p = parsed.data;
  let learning = false;
  const transformations = Object.entries(p.data_transformations).map(([name, dt]) => {
    const collect = (datasets: typeof dt.input_datasets, key: string) => {
      const byName = new Map<string, AttributeRole>();
      (datasets ?? []).forEach((d, di) =>
        (d.attributes ?? []).forEach((a, ai) =>
          byName.set(a.name, roleOf(a, `body.data_transformations.${name}.${key}[${di}].attributes[${ai}]`)),
        ),
      );
      return [...byName].map(([n, role]) => ({ name: n, role }));
    };
    const used = collect(dt.input_datasets, 'input_datasets');
    const generated = collect(dt.output_datasets, 'output_datasets');
    const isLearning = [...used, ...generated].some((a) => LEARNING_ROLES.has(a.role));
    learning ||= isLearning;
    return { name, kind: isLearning ? 'LEARNING_STAGE' : 'DATA_TRANSFORMATION', used, generated };
  });
  return parseWorkflowSpec({
    name: p.dataflow_name,
    kind: learning ? 'LEARNING' : 'DATA',
    description: p.description || `ProvLake dataflow ${p.dataflow_name}`,
    study: p.context_name ? { id: p.context_name, name: p.context_name } : undefined,
    transformations,
  });
}
