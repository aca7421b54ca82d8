import { BadUserInputError, LimitExceededError } from '../../errors';
import type { ModelConditions } from '../../connectors/provenance/pg-model-conditions';
import type { ModelFilter } from '../../schema/inputs/filters.input';

/** Conditions per list: each is one correlated subquery per candidate model, so they are bounded. */
export const MAX_CONDITIONS = 10;

/** The filter's value conditions, checked: a name is required, the lists are bounded. */
export function checkedModelConditions(filter: ModelFilter | null): ModelConditions {
  const out: ModelConditions = {};
  for (const key of ['hyperparameters', 'evaluations'] as const) {
    const list = filter?.[key];
    if (!list?.length) continue;
    if (list.length > MAX_CONDITIONS) throw new LimitExceededError(`filter.${key} conditions`, MAX_CONDITIONS, list.length);
    list.forEach((c, i) => {
      if (!c.name.trim()) throw new BadUserInputError('a condition needs an attribute name', `filter.${key}.${i}.name`);
      const ordered = c.op !== 'EQ' && c.op !== 'NE';
      if (ordered && !(typeof c.value === 'string' || (typeof c.value === 'number' && Number.isFinite(c.value)))) {
        throw new BadUserInputError(
          `${c.op} compares numbers or strings, not ${JSON.stringify(c.value)}`,
          `filter.${key}.${i}.value`,
        );
      }
    });
    out[key] = list.map((c) => ({ name: c.name, op: c.op, value: c.value }));
  }
  return out;
}
