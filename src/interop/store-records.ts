import type { ProvenanceStore } from '../connectors/provenance/provenance-store';
import type {
  AgentRow,
  DataRefRow,
  RunRow,
  TaskRow,
  TransformationRow,
  ValueRow,
  WorkflowRow,
} from '../connectors/provenance/rows';
import { agentIri, instanceIri, prov, provml, refIri, runIri, studyIri, taskIri, workflowIri } from './namespaces';
import { literalTypesOf, typedValues, type LiteralTypes } from './literal-types';
import { VALUE_CLASS_BY_ROLE, iri, json, num, str, type AttrValue, type NodeRecord, type ProvRecord } from './prov-records';

/**
 * Turns store rows into PROV records. Holds what an export has already written (workflows,
 * data references, agents) so each node is written once, and per run what it needs to infer
 * wasDerivedFrom (generated references derive from the references their task, its ancestors
 * or its run used).
 */
export class StoreRecords {
  private readonly seenRefs = new Set<string>();
  private readonly seenWorkflows = new Set<string>();
  private readonly seenStudies = new Set<string>();
  readonly seenAgents = new Set<string>();
  private readonly transformations = new Map<string, TransformationRow>();

  constructor(private readonly store: ProvenanceStore) {}

  async *workflow(wf: WorkflowRow): AsyncGenerator<ProvRecord> {
    if (this.seenWorkflows.has(wf.id)) return;
    this.seenWorkflows.add(wf.id);
    const attrs: Array<[string, AttrValue]> = [
      [provml('workflowName'), str(wf.name)],
      [provml('workflowVersion'), num(wf.version)],
      [provml('workflowKind'), str(wf.kind)],
      [provml('spec'), json(wf.spec)],
    ];
    if (wf.studyId) {
      attrs.push([provml('study'), iri(studyIri(wf.studyId))]);
      if (!this.seenStudies.has(wf.studyId)) {
        this.seenStudies.add(wf.studyId);
        const [study] = await this.store.studiesByIds([wf.studyId]);
        if (study) {
          yield {
            record: 'node',
            type: 'entity',
            id: studyIri(study.id),
            classes: [provml('Study')],
            label: study.name,
            attrs: study.description ? [[provml('description'), str(study.description)]] : [],
          };
        }
      }
    }
    if (wf.description) attrs.push([provml('description'), str(wf.description)]);
    yield {
      record: 'node',
      type: 'entity',
      id: workflowIri(wf.name, wf.version),
      classes: [provml('Experiment'), prov('Plan')],
      label: `${wf.name} v${wf.version}`,
      attrs,
    };
  }

  agent(a: AgentRow): ProvRecord[] {
    if (this.seenAgents.has(a.id)) return [];
    this.seenAgents.add(a.id);
    const cls = a.kind === 'PERSON' ? prov('Person') : a.kind === 'SOFTWARE' ? prov('SoftwareAgent') : prov('Organization');
    const attrs: Array<[string, AttrValue]> = [[provml('agentId'), str(a.id)]];
    if (Object.keys(a.attributes ?? {}).length) attrs.push([provml('attributes'), json(a.attributes)]);
    return [{ record: 'node', type: 'agent', id: agentIri(a.id), classes: [cls], label: a.name ?? undefined, attrs }];
  }

  runNode(run: RunRow, wf: WorkflowRow | null): ProvRecord[] {
    const attrs: Array<[string, AttrValue]> = [
      [provml('runId'), str(run.id)],
      [provml('status'), str(run.status)],
    ];
    if (wf) {
      attrs.push(
        [provml('experiment'), iri(workflowIri(wf.name, wf.version))],
        [provml('workflowName'), str(wf.name)],
        [provml('workflowVersion'), num(wf.version)],
      );
    }
    if (Object.keys(run.attributes ?? {}).length) attrs.push([provml('attributes'), json(run.attributes)]);
    const out: ProvRecord[] = [
      {
        record: 'node',
        type: 'activity',
        id: runIri(run.id),
        classes: [wf?.kind === 'LEARNING' ? provml('LearningProcessExecution') : provml('WorkflowExecution')],
        label: run.id,
        startTime: run.startedAt?.toISOString(),
        endTime: run.endedAt?.toISOString(),
        attrs,
      },
    ];
    if (run.agentId)
      out.push({
        record: 'relation',
        type: 'wasAssociatedWith',
        subject: runIri(run.id),
        object: agentIri(run.agentId),
        attrs: [],
      });
    return out;
  }

  async taskNodes(tasks: TaskRow[]): Promise<NodeRecord[]> {
    const missing = [...new Set(tasks.map((t) => t.transformationId))].filter((id) => !this.transformations.has(id));
    if (missing.length) {
      for (const t of await this.store.transformationsByIds(missing)) if (t) this.transformations.set(t.id, t);
    }
    return tasks.map((t) => {
      const tr = this.transformations.get(t.transformationId);
      const cls =
        tr?.kind === 'LEARNING_STAGE'
          ? provml('LearningStageExecution')
          : tr?.kind === 'FEATURE_EXTRACTION'
            ? provml('FeatureExtractionExecution')
            : provml('DataTransformationExecution');
      const attrs: Array<[string, AttrValue]> = [
        [provml('taskId'), str(t.id)],
        [provml('run'), iri(runIri(t.runId))],
        [provml('wasPartOf'), iri(t.parentId ? taskIri(t.parentId) : runIri(t.runId))],
        [provml('status'), str(t.status)],
      ];
      if (tr) attrs.push([provml('transformation'), str(tr.name)]);
      if (tr?.stageType) attrs.push([provml('stageType'), str(tr.stageType)]);
      if (t.host) attrs.push([provml('host'), str(t.host)]);
      if (Object.keys(t.attributes ?? {}).length) attrs.push([provml('attributes'), json(t.attributes)]);
      return {
        record: 'node',
        type: 'activity',
        id: taskIri(t.id),
        classes: [cls],
        label: t.id,
        startTime: t.startedAt?.toISOString(),
        endTime: t.endedAt?.toISOString(),
        attrs,
      };
    });
  }

  /** Data reference nodes not yet written, fetched by id. */
  async refNodes(ids: string[]): Promise<{ records: ProvRecord[]; byId: Map<string, DataRefRow> }> {
    const byId = new Map<string, DataRefRow>();
    if (!ids.length) return { records: [], byId };
    const rows = await this.store.dataRefsByIds([...new Set(ids)]);
    const records: ProvRecord[] = [];
    for (const r of rows) {
      if (!r) continue;
      byId.set(r.id, r);
      const id = refIri(r.store, r.uri);
      if (this.seenRefs.has(id)) continue;
      this.seenRefs.add(id);
      records.push({
        record: 'node',
        type: 'entity',
        id,
        classes: [provml('DataReference')],
        label: r.uri,
        attrs: [
          [provml('uri'), str(r.uri)],
          [provml('dataStore'), str(r.store)],
        ],
      });
    }
    return { records, byId };
  }
}

/** Per run: the values already named (for unique value ids) and what derivations need. */
export class RunState {
  private readonly names = new Map<string, number>();
  readonly parent = new Map<string, string | null>();
  readonly used = new Map<string, Set<string>>();
  readonly generated = new Map<string, Set<string>>();
  /** The written types of the values of a run (`run:<id>`) or task (`task:<id>`), where it has any. */
  private readonly types = new Map<string, LiteralTypes>();

  /** Notes the literal types a run's or task's attributes keep for its values (literal-types.ts). */
  noteTypes(ownerKey: string, attributes: Record<string, unknown> | null | undefined): void {
    const t = literalTypesOf(attributes);
    if (t) this.types.set(ownerKey, t);
  }

  typeOf(ownerKey: string, direction: 'USED' | 'GENERATED', name: string) {
    const t = this.types.get(ownerKey);
    return direction === 'USED' ? t?.used?.[name] : t?.generated?.[name];
  }

  valueIri(v: ValueRow): string {
    const owner = v.taskId ? ['task', v.taskId] : ['run', v.runId];
    const base = [...owner, v.direction === 'USED' ? 'used' : 'generated', v.name];
    const key = base.join('\u0000');
    const n = (this.names.get(key) ?? 0) + 1;
    this.names.set(key, n);
    return instanceIri('value', ...base, ...(n > 1 ? [String(n)] : []));
  }

  /** wasDerivedFrom inferred from the run's tasks: generated ← used by the task, its ancestors or the run. */
  derivations(runId: string): ProvRecord[] {
    const out: ProvRecord[] = [];
    const seen = new Set<string>();
    for (const [owner, gens] of this.generated) {
      const sources = new Set<string>(this.used.get(`run:${runId}`) ?? []);
      let cur: string | null | undefined = owner;
      for (let guard = 0; cur && guard < 64; guard++) {
        for (const u of this.used.get(cur) ?? []) sources.add(u);
        const p: string | null | undefined = cur.startsWith('task:') ? this.parent.get(cur.slice(5)) : null;
        cur = p ? `task:${p}` : null;
      }
      for (const g of gens) {
        for (const s of sources) {
          const key = `${g} ${s}`;
          if (g === s || seen.has(key)) continue;
          seen.add(key);
          out.push({
            record: 'relation',
            type: 'wasDerivedFrom',
            subject: g,
            object: s,
            attrs: [[provml('inferred'), { kind: 'boolean', value: true }]],
          });
        }
      }
    }
    return out;
  }
}

/** The records of one page of values: literal values become entities, references relations. */
export async function valueRecords(
  values: ValueRow[],
  records: StoreRecords,
  state: RunState,
  keepRef: (refId: string) => boolean,
): Promise<ProvRecord[]> {
  const refIds = values.map((v) => v.dataRefId).filter((id): id is string => id !== null && keepRef(id));
  const { records: out, byId } = await records.refNodes(refIds);
  for (const v of values) {
    const ownerKey = v.taskId ? `task:${v.taskId}` : `run:${v.runId}`;
    const owner = v.taskId ? taskIri(v.taskId) : runIri(v.runId);
    const cls = VALUE_CLASS_BY_ROLE[v.role] ?? provml('AttributeValue');
    const at = v.recordedAt?.toISOString();
    const relAttrs: Array<[string, AttrValue]> = [
      [provml('attributeName'), str(v.name)],
      [provml('role'), str(v.role)],
    ];
    let entity: string;
    if (v.dataRefId) {
      const ref = byId.get(v.dataRefId);
      if (!ref) continue;
      entity = refIri(ref.store, ref.uri);
      out.push({ record: 'class', id: entity, classes: [cls] });
      const bucket = v.direction === 'USED' ? state.used : state.generated;
      if (!bucket.has(ownerKey)) bucket.set(ownerKey, new Set());
      bucket.get(ownerKey)!.add(entity);
    } else {
      entity = state.valueIri(v);
      out.push({
        record: 'node',
        type: 'entity',
        id: entity,
        classes: [cls],
        label: v.name,
        attrs: [
          ...typedValues(v.value, state.typeOf(ownerKey, v.direction, v.name)).map((x): [string, AttrValue] => [
            prov('value'),
            x,
          ]),
          [provml('attributeName'), str(v.name)],
          [provml('role'), str(v.role)],
        ],
      });
    }
    out.push(
      v.direction === 'USED'
        ? { record: 'relation', type: 'used', subject: owner, object: entity, time: at, attrs: relAttrs }
        : { record: 'relation', type: 'wasGeneratedBy', subject: entity, object: owner, time: at, attrs: relAttrs },
    );
  }
  return out;
}
