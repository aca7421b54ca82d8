import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import YAML from 'yaml';
import { z } from 'zod';
import { BadUserInputError } from '../errors';

/** PROV-ML roles an attribute of a transformation can play (Table II of the ProvLake paper). */
export const ATTRIBUTE_ROLES = [
  'LEARNING_HYPERPARAMETER',
  'MODEL_HYPERPARAMETER',
  'EVALUATION_MEASURE',
  'MODEL_REFERENCE',
  'LEARNING_DATASET_REFERENCE',
  'DATASET_CHARACTERISTIC',
  'FEATURE_SET',
  'FEATURE_SET_CHARACTERISTIC',
  'LEARNING_TASK',
  'ALGORITHM',
  'IMPLEMENTATION_CHARACTERISTIC',
  'MODEL_SCHEMA',
  'EVALUATION_SPECIFICATION',
  'EVALUATION_PROCEDURE',
  'DATA_REFERENCE',
  'PARAMETER',
] as const;
export type AttributeRole = (typeof ATTRIBUTE_ROLES)[number];

export const TRANSFORMATION_KINDS = ['DATA_TRANSFORMATION', 'LEARNING_STAGE', 'FEATURE_EXTRACTION'] as const;
export type TransformationKind = (typeof TRANSFORMATION_KINDS)[number];
export const STAGE_TYPES = ['TRAINING', 'VALIDATION', 'TEST'] as const;
export type StageType = (typeof STAGE_TYPES)[number];
export const WORKFLOW_KINDS = ['LEARNING', 'DATA'] as const;
export type WorkflowKind = (typeof WORKFLOW_KINDS)[number];

const name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:\-/ ]+$/, 'letters, digits, space and _ . : - / only');

const AttributeSpec = z.object({ name, role: z.enum(ATTRIBUTE_ROLES).default('PARAMETER') });

const TransformationSpec = z
  .object({
    name,
    kind: z.enum(TRANSFORMATION_KINDS).default('DATA_TRANSFORMATION'),
    stageType: z.enum(STAGE_TYPES).nullish(),
    parent: name.nullish(),
    description: z.string().max(10_000).nullish(),
    used: z.array(AttributeSpec).max(1000).default([]),
    generated: z.array(AttributeSpec).max(1000).default([]),
  })
  .refine((t) => t.kind === 'LEARNING_STAGE' || !t.stageType, {
    message: 'stageType applies to LEARNING_STAGE transformations only',
    path: ['stageType'],
  });

export const WorkflowSpecSchema = z
  .object({
    name,
    kind: z.enum(WORKFLOW_KINDS).default('DATA'),
    description: z.string().max(10_000).nullish(),
    study: z.object({ id: name, name: z.string().min(1).max(500), description: z.string().max(10_000).nullish() }).nullish(),
    attributes: z.array(AttributeSpec).max(1000).default([]),
    transformations: z.array(TransformationSpec).max(1000).default([]),
  })
  .superRefine((spec, ctx) => {
    const names = new Set<string>();
    spec.transformations.forEach((t, i) => {
      if (names.has(t.name)) {
        ctx.addIssue({ code: 'custom', message: `duplicate transformation ${t.name}`, path: ['transformations', i, 'name'] });
      }
      names.add(t.name);
    });
    spec.transformations.forEach((t, i) => {
      if (t.parent && !names.has(t.parent)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown parent transformation ${t.parent}`,
          path: ['transformations', i, 'parent'],
        });
      }
    });
  });

export type WorkflowSpec = z.output<typeof WorkflowSpecSchema>;

/** Validates a spec from any source (GraphQL input, JSON or YAML file), naming the field at fault. */
export function parseWorkflowSpec(input: unknown): WorkflowSpec {
  const parsed = WorkflowSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['spec', ...issue.path].join('.');
    throw new BadUserInputError(`invalid workflow spec at ${field}: ${issue.message}`, field, {
      problems: parsed.error.issues.map((i) => ({ field: ['spec', ...i.path].join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

export async function loadWorkflowSpecFile(file: string): Promise<WorkflowSpec> {
  const text = await fs.readFile(file, 'utf8');
  const data: unknown = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  return parseWorkflowSpec(data);
}

/** Stable hash of a normalised spec: registering the same spec twice keeps its version. */
export function specHash(spec: WorkflowSpec): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .filter(([, x]) => x !== undefined && x !== null)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(spec)))
    .digest('hex');
}
