import fs from 'node:fs';
import path from 'node:path';
import { printPublicSchema } from '../../src/schema/build-schema';

describe('schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema` after changing a type)', () => {
    const checkedIn = fs.readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8');
    expect(printPublicSchema()).toBe(checkedIn);
  });

  it('names the PROV-ML class of every object type', () => {
    const sdl = printPublicSchema();
    for (const cls of ['LearningProcessExecution', 'LearningHyperParameterSetting', 'ModelEvaluation', 'DatasetCharacteristicValue', 'Study', 'Experiment', 'DataStoreInstance']) {
      expect(sdl).toMatch(new RegExp(`type ${cls} `));
    }
  });
});
