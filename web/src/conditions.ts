// "loss < 0.01, learning_rate = 0.01" -> the ValueCondition inputs of ModelFilter.

export type ComparisonOperator = 'EQ' | 'NE' | 'LT' | 'LTE' | 'GT' | 'GTE';

export interface ValueCondition {
  name: string;
  op: ComparisonOperator;
  value: unknown;
}

const OPS: Record<string, ComparisonOperator> = {
  '=': 'EQ',
  '==': 'EQ',
  '!=': 'NE',
  '<': 'LT',
  '<=': 'LTE',
  '>': 'GT',
  '>=': 'GTE',
};
const CONDITION = /^\s*([A-Za-z_][\w.\-/]*)\s*(==|<=|>=|!=|=|<|>)\s*(.+?)\s*$/;

/** Parses comma-separated conditions; a value that is not JSON is taken as a string. */
export function parseConditions(text: string): { conditions: ValueCondition[]; problems: string[] } {
  const conditions: ValueCondition[] = [];
  const problems: string[] = [];
  for (const part of text.split(',')) {
    if (!part.trim()) continue;
    const m = CONDITION.exec(part);
    if (!m) {
      problems.push(`"${part.trim()}" is not name op value (op: = != < <= > >=)`);
      continue;
    }
    conditions.push({ name: m[1], op: OPS[m[2]], value: parseValue(m[3]) });
  }
  return { conditions, problems };
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.replace(/^['"]|['"]$/g, '');
  }
}
