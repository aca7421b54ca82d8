/**
 * SQL for the value conditions of `models(filter: { hyperparameters, evaluations })`: which
 * models have `learning_rate = 0.01`, `loss < 0.01`. Pure text building, so it is unit-tested
 * without a database; every name and value is a query parameter, operators come from a fixed map.
 */

export type ComparisonOp = 'EQ' | 'NE' | 'LT' | 'LTE' | 'GT' | 'GTE';

export interface ValueConditionInput {
  name: string;
  op: ComparisonOp;
  value: unknown;
}

export interface ModelConditions {
  hyperparameters?: readonly ValueConditionInput[];
  evaluations?: readonly ValueConditionInput[];
}

const SQL_OP: Record<ComparisonOp, string> = { EQ: '=', NE: '<>', LT: '<', LTE: '<=', GT: '>', GTE: '>=' };

/** Thrown for a condition the store cannot compare (the resolver turns it into BAD_USER_INPUT). */
export class ConditionError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * `col op $value` over a jsonb column. EQ/NE compare JSON values (0.01 = 0.010, "Adam" = "Adam");
 * the ordering operators compare numbers with numbers and strings with strings, and a value of
 * the other JSON type never matches.
 */
function comparison(col: string, c: ValueConditionInput, param: (v: unknown) => string, field: string): string {
  const op = SQL_OP[c.op];
  if (!op) throw new ConditionError(`unknown operator ${String(c.op)}`, field);
  if (c.op === 'EQ' || c.op === 'NE') return `${col} ${op} ${param(JSON.stringify(c.value ?? null))}::jsonb`;
  if (typeof c.value === 'number' && Number.isFinite(c.value)) {
    return `(jsonb_typeof(${col}) = 'number' AND (${col})::numeric ${op} ${param(String(c.value))}::numeric)`;
  }
  if (typeof c.value === 'string') {
    return `(jsonb_typeof(${col}) = 'string' AND (${col} #>> '{}') ${op} ${param(c.value)}::text)`;
  }
  throw new ConditionError(`${c.op} needs a number or a string value, got ${JSON.stringify(c.value)}`, field);
}

/**
 * WHERE terms over the model row `m` (attribute_value, role MODEL_REFERENCE), ANDed together.
 * A hyperparameter is what the model card lists: the nearest LEARNING_HYPERPARAMETER of that name
 * used by the model's task, its ancestors (epoch -> training) or the run, or a
 * MODEL_HYPERPARAMETER generated with the model. An evaluation is a EVALUATION_MEASURE generated
 * with the model (same task, or the run for a run-level model).
 */
export function modelConditionSql(conditions: ModelConditions, params: unknown[]): string[] {
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const terms: string[] = [];
  (conditions.evaluations ?? []).forEach((c, i) => {
    const field = `filter.evaluations.${i}`;
    terms.push(`EXISTS (SELECT 1 FROM attribute_value e
      WHERE e.run_id = m.run_id AND e.task_id IS NOT DISTINCT FROM m.task_id
        AND e.direction = 'GENERATED' AND e.role = 'EVALUATION_MEASURE' AND e.name = ${param(c.name)}
        AND ${comparison('e.value', c, param, field)})`);
  });
  (conditions.hyperparameters ?? []).forEach((c, i) => {
    const field = `filter.hyperparameters.${i}`;
    const name = param(c.name);
    // The task chain is bounded (depth 64) like every traversal; nesting is a handful of levels.
    const nearest = `(SELECT v.value FROM (
        WITH RECURSIVE chain(id, d) AS (
          SELECT m.task_id, 0 WHERE m.task_id IS NOT NULL
          UNION ALL
          SELECT t.parent_id, c.d + 1 FROM chain c JOIN task_execution t ON t.id = c.id
          WHERE t.parent_id IS NOT NULL AND c.d < 64)
        SELECT v.value, c.d FROM chain c JOIN attribute_value v ON v.task_id = c.id
        WHERE v.direction = 'USED' AND v.role = 'LEARNING_HYPERPARAMETER' AND v.name = ${name}
        UNION ALL
        SELECT v.value, 1000 FROM attribute_value v
        WHERE v.run_id = m.run_id AND v.task_id IS NULL
          AND v.direction = 'USED' AND v.role = 'LEARNING_HYPERPARAMETER' AND v.name = ${name}
      ) v ORDER BY v.d LIMIT 1)`;
    terms.push(`(${comparison(nearest, c, param, field)}
      OR EXISTS (SELECT 1 FROM attribute_value h
        WHERE h.run_id = m.run_id AND h.task_id IS NOT DISTINCT FROM m.task_id
          AND h.direction = 'GENERATED' AND h.role = 'MODEL_HYPERPARAMETER' AND h.name = ${name}
          AND ${comparison('h.value', c, param, field)}))`);
  });
  return terms;
}
