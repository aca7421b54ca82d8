import fs from 'node:fs';
import path from 'node:path';
import { printPublicSchema } from '../../src/schema/build-schema';
import { defaultGatewaySchema } from '../../src/schema/stitch';

// schema.graphql is the PUBLIC stitched schema: provenance plus the knowledge, document and
// object subschemas, with the underscore-prefixed merge fields filtered out.
const publicSdl = () => printPublicSchema(defaultGatewaySchema());

describe('schema.graphql', () => {
  it('is the schema the code builds (run `npm run schema` after changing a type)', () => {
    const checkedIn = fs.readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8');
    expect(publicSdl()).toBe(checkedIn);
  });

  it('names the PROV-ML class of every object type', () => {
    const sdl = publicSdl();
    for (const cls of [
      'LearningProcessExecution',
      'LearningHyperParameterSetting',
      'ModelEvaluation',
      'DatasetCharacteristicValue',
      'Study',
      'Experiment',
      'DataStoreInstance',
    ]) {
      expect(sdl).toMatch(new RegExp(`type ${cls} `));
    }
  });

  it('adds the store fields to DataReference and hides the merge entries', () => {
    const sdl = publicSdl();
    const dataReference = /type DataReference implements[^{]*\{([^}]*)\}/.exec(sdl)?.[1] ?? '';
    for (const field of [
      'knowledge: KnowledgeResource',
      'document: DomainDocument',
      'object: StoredObject',
      'wasDerivedFrom: [DataReference!]!',
    ]) {
      expect(dataReference).toContain(field);
    }
    expect(sdl).not.toMatch(/^\s+_\w+/m);
    expect(sdl).not.toContain('DataReferenceKeyInput');
  });
});
