import { BadUserInputError } from '../../src/errors';
import { parseWorkflowSpec, specHash } from '../../src/ingest/workflow-spec';
import { trainingSpec } from '../../src/demo/demo-specs';

describe('workflow spec', () => {
  it('names the field of an unknown role', () => {
    expect(() =>
      parseWorkflowSpec({ name: 'w', transformations: [{ name: 't', used: [{ name: 'a', role: 'HYPER' }] }] }),
    ).toThrow(/spec\.transformations\.0\.used\.0\.role/);
  });

  it('rejects an undeclared parent and duplicate transformations', () => {
    try {
      parseWorkflowSpec({ name: 'w', transformations: [{ name: 'a', parent: 'zz' }, { name: 'a' }] });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(BadUserInputError);
      const problems = (err as BadUserInputError).extensions.problems as Array<{ field: string }>;
      expect(problems.map((p) => p.field).sort()).toEqual(['spec.transformations.0.parent', 'spec.transformations.1.name']);
    }
  });

  it('hashes the same spec the same way whatever the key order', () => {
    const a = parseWorkflowSpec({ name: 'w', kind: 'DATA', transformations: [{ name: 't' }] });
    const b = parseWorkflowSpec({ transformations: [{ name: 't' }], kind: 'DATA', name: 'w' });
    expect(specHash(a)).toBe(specHash(b));
    expect(specHash(a)).not.toBe(specHash(trainingSpec));
  });
});
