// "loss < 0.01, learning_rate = 0.01" -> the ValueCondition inputs of ModelFilter.

export type ComparisonOperator = 'EQ' | 'NE' | 'LT' | 'LTE' | 'GT' | 'GTE';

export interface ValueCondition {
  name: string;
  op: ComparisonOperator;
  value: unknown;
}

const OPS: Record<string, ComparisonOperator> = { '=': 'EQ', '==': 'EQ', '!=': 'NE', '<': 'LT', '<=': 'LTE', '>': 'GT', '>=': 'GTE' };
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
    let value: unknown = m[3];
    try {
      value = JSON.parse(m[3]);
    } catch {
      value = m[3].replace(/^['"]|['"]$/g, '');
    }
    conditions.push({ name: m[1], op: OPS[m[2]], value });
  }
  return { conditions, problems };
}
