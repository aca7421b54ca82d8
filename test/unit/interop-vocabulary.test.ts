import fs from 'node:fs';
import path from 'node:path';
import { NS } from '../../src/interop/namespaces';
import { VALUE_CLASS_BY_ROLE } from '../../src/interop/prov-records';
import { ATTRIBUTE_ROLES } from '../../src/ingest/workflow-spec';

// The vocabulary file is the contract of the exports: every class the schema's descriptions
// name, and every class the exporter writes, must be declared in ontology/prov-ml.ttl.
const ttl = fs.readFileSync(path.join(__dirname, '../../ontology/prov-ml.ttl'), 'utf8');
const declared = new Set([...ttl.matchAll(/^provml:([A-Za-z]+) a owl:Class/gm)].map((m) => m[1]));
const schema = fs.readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8');

describe('PROV-ML vocabulary (ontology/prov-ml.ttl)', () => {
  it('declares every class of Table II', () => {
    const table2 = [
      'Study',
      'Experiment',
      'LearningProcessExecution',
      'LearningTask',
      'LearningTaskValue',
      'LearningStageType',
      'LearningDatasetReference',
      'DatasetCharacteristic',
      'DatasetCharacteristicValue',
      'FeatureSet',
      'FeatureSetData',
      'FeatureSetCharacteristic',
      'FeatureExtraction',
      'FeatureExtractionExecution',
      'Software',
      'Algorithm',
      'Implementation',
      'ImplementationCharacteristic',
      'LearningHyperParameter',
      'LearningHyperParameterSetting',
      'ModelSchema',
      'ModelReference',
      'ModelReferenceValue',
      'ModelHyperParameter',
      'ModelHyperParameterValue',
      'DataStoreInstance',
      'EvaluationMeasure',
      'ModelEvaluation',
      'EvaluationSpecification',
      'EvaluationProcedure',
    ];
    expect(table2.filter((c) => !declared.has(c))).toEqual([]);
  });

  it('declares every class the GraphQL schema descriptions name', () => {
    const named = new Set([...schema.matchAll(/(?:PROV-ML|ProvLake) ([A-Z][A-Za-z]+)/g)].map((m) => m[1]));
    const missing = [...named].filter(
      (c) => !declared.has(c) && !declared.has(c.replace(/(ies|s)$/, (s) => (s === 'ies' ? 'y' : ''))),
    );
    expect(named.size).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('declares the class of every attribute role the exporter writes, each a subclass of a PROV or MLS class', () => {
    for (const role of ATTRIBUTE_ROLES) {
      const cls = VALUE_CLASS_BY_ROLE[role];
      expect(cls?.startsWith(NS.provml)).toBe(true);
      const local = cls.slice(NS.provml.length);
      expect(declared.has(local)).toBe(true);
      expect(ttl).toMatch(new RegExp(`^provml:${local} a owl:Class ; rdfs:subClassOf [^;]*(prov|mls|provml):`, 'm'));
    }
  });
});
