import { parseWorkflowSpec } from '../ingest/workflow-spec';
import { NS, parseInstanceIri } from './namespaces';
import { eventIds, type ImportPlan } from './import-plan';
import { asText, end, first, type PAttrs, type ProvJsonDoc, type PValue } from './prov-json-reader';

/**
 * A provml PROV-JSON export back into events (the round trip): specs from the workflow
 * entities, runs and tasks from the activities, values from the qualified used / wasGeneratedBy
 * relations (their provml:attributeName), metric series, and the explicit relations; inferred
 * derivations are left out, as the store infers them again.
 */
const P = (k: string) => `${NS.provml}${k}`;
const text = (a: PAttrs | undefined, k: string) => asText(first(a, P(k)));
const iriOf = (v: PValue | undefined) => (v && typeof v === 'object' && 'iri' in v ? v.iri : undefined);
const plain = (v: PValue | undefined): unknown =>
  v === undefined ? null : typeof v === 'object' ? ('iri' in v ? v.iri : v.json) : v;
const ms = (v: PValue | undefined) => (v === undefined ? undefined : Date.parse(String(v)));

export function planProvml(doc: ProvJsonDoc, digest: string): ImportPlan {
  const id = eventIds(`import:${digest}`);
  const plan: ImportPlan = { source: 'provml', specs: [], events: [], warnings: [], files: [] };
  for (const e of doc.entity.values()) {
    const spec = first(e, P('spec'));
    if (spec && typeof spec === 'object' && 'json' in spec)
      plan.specs.push({ spec: parseWorkflowSpec(spec.json), version: Number(plain(first(e, P('workflowVersion')))) });
  }
  const refOf = (iri: string) => {
    const e = doc.entity.get(iri);
    const uri = text(e, 'uri');
    return uri === undefined ? null : { $ref: uri, store: text(e, 'dataStore') ?? 'default' };
  };
  const nodeId = (iri: string | undefined) => (iri ? parseInstanceIri(iri)?.parts[0] : undefined);
  const runAgent = new Map<string, string>();
  const used = new Map<string, Array<[string, unknown]>>();
  const generated = new Map<string, Array<[string, unknown]>>();
  const relations: Array<Record<string, unknown>> = [];
  for (const r of doc.relations) {
    // A statement another import kept as written travels inside its run's provml:attributes
    // (re-imported with the run); its PROV form in the export is a copy, not a new fact.
    if (r.attrs.has(P('keptAsWritten'))) continue;
    const name = text(r.attrs, 'attributeName');
    if ((r.type === 'used' || r.type === 'wasGeneratedBy') && name !== undefined) {
      const act = end(r, 'activity')!;
      const ent = end(r, 'entity')!;
      const e = doc.entity.get(ent);
      // Several prov:value: a multi-valued attribute of an imported document (literal-types.ts).
      const written = e?.get(`${NS.prov}value`) ?? [];
      const value = e?.has(P('uri')) ? refOf(ent) : written.length > 1 ? written.map(plain) : plain(written[0]);
      const bucket = r.type === 'used' ? used : generated;
      (bucket.get(act) ?? bucket.set(act, []).get(act)!).push([name, value]);
    } else if (r.type === 'wasAssociatedWith') {
      const act = end(r, 'activity');
      const agent = nodeId(end(r, 'agent'));
      if (act && agent && parseInstanceIri(act)?.kind === 'run' && !runAgent.has(act)) runAgent.set(act, agent);
      else if (act && agent) relations.push({ relation: 'WAS_ASSOCIATED_WITH', subject: nodeId(act), object: agent });
    } else if (r.type === 'wasDerivedFrom' && plain(first(r.attrs, P('inferred'))) !== true) {
      const g = refOf(end(r, 'generatedEntity') ?? '');
      const u = refOf(end(r, 'usedEntity') ?? '');
      if (g && u)
        relations.push({
          relation: 'WAS_DERIVED_FROM',
          subject: g.$ref,
          subjectStore: g.store,
          object: u.$ref,
          objectStore: u.store,
        });
    } else if (r.type === 'hadMember') {
      const g = refOf(end(r, 'collection') ?? '');
      const u = refOf(end(r, 'entity') ?? '');
      if (g && u)
        relations.push({ relation: 'HAD_MEMBER', subject: g.$ref, subjectStore: g.store, object: u.$ref, objectStore: u.store });
    } else if (r.type === 'wasInformedBy') {
      relations.push({ relation: 'WAS_INFORMED_BY', subject: nodeId(end(r, 'informed')), object: nodeId(end(r, 'informant')) });
    }
  }
  for (const [iri, a] of doc.agent) {
    const kind = asText(first(a, `${NS.prov}type`)) ?? '';
    plan.events.push({
      id: id(),
      type: 'agent',
      agent: text(a, 'agentId') ?? nodeId(iri),
      kind: kind.endsWith('Person') ? 'PERSON' : kind.endsWith('SoftwareAgent') ? 'SOFTWARE' : 'ORGANIZATION',
      ...(first(a, `${NS.prov}label`) !== undefined ? { name: asText(first(a, `${NS.prov}label`)) } : {}),
    });
  }
  const values = (pairs: Array<[string, unknown]> | undefined) => {
    const o: Record<string, unknown> = {};
    const extra: Array<Record<string, unknown>> = [];
    for (const [k, v] of pairs ?? []) {
      if (k in o) extra.push({ [k]: v });
      else o[k] = v;
    }
    return { o, extra };
  };
  const acts = [...doc.activity.entries()];
  const runs = acts
    .filter(([, a]) => a.has(P('runId')))
    .sort(([, a], [, b]) => (ms(first(a, `${NS.prov}startTime`)) ?? 0) - (ms(first(b, `${NS.prov}startTime`)) ?? 0));
  for (const [runIri, a] of runs) {
    const run = text(a, 'runId')!;
    const start = ms(first(a, `${NS.prov}startTime`));
    const end_ = ms(first(a, `${NS.prov}endTime`));
    const u = values(used.get(runIri));
    plan.events.push({
      id: id(),
      type: 'workflowBegin',
      run,
      workflow: text(a, 'workflowName'),
      version: Number(plain(first(a, P('workflowVersion')))),
      ...(runAgent.has(runIri) ? { agent: runAgent.get(runIri) } : {}),
      ...(start !== undefined ? { time: start } : {}),
      attributes: (plain(first(a, P('attributes'))) as object) ?? {},
      used: u.o,
    });
    for (const x of u.extra) plan.events.push({ id: id(), type: 'values', run, used: x });
    // Tasks parents first, then by start time.
    const tasks = acts.filter(([, t]) => text(t, 'taskId') !== undefined && iriOf(first(t, P('run'))) === runIri);
    const depth = new Map<string, number>();
    const parentOf = (t: PAttrs) => iriOf(first(t, P('wasPartOf')));
    const depthOf = (iri: string, guard = 0): number => {
      if (depth.has(iri)) return depth.get(iri)!;
      const p = parentOf(doc.activity.get(iri)!);
      const d = p && p !== runIri && doc.activity.has(p) && guard < 64 ? depthOf(p, guard + 1) + 1 : 0;
      depth.set(iri, d);
      return d;
    };
    tasks.sort(
      ([x, ta], [y, tb]) =>
        depthOf(x) - depthOf(y) ||
        (ms(first(ta, `${NS.prov}startTime`)) ?? 0) - (ms(first(tb, `${NS.prov}startTime`)) ?? 0) ||
        (x < y ? -1 : 1),
    );
    for (const [tIri, t] of tasks) {
      const p = parentOf(t);
      const tu = values(used.get(tIri));
      const ts = ms(first(t, `${NS.prov}startTime`));
      plan.events.push({
        id: id(),
        type: 'taskBegin',
        task: text(t, 'taskId'),
        run,
        transformation: text(t, 'transformation'),
        ...(p && p !== runIri ? { parent: nodeId(p) } : {}),
        ...(text(t, 'host') ? { host: text(t, 'host') } : {}),
        ...(ts !== undefined ? { time: ts } : {}),
        used: tu.o,
        attributes: (plain(first(t, P('attributes'))) as object) ?? {},
      });
      for (const x of tu.extra) plan.events.push({ id: id(), type: 'values', run, task: text(t, 'taskId'), used: x });
    }
    for (const [tIri, t] of tasks) {
      const status = text(t, 'status') ?? 'FINISHED';
      const te = ms(first(t, `${NS.prov}endTime`));
      const tg = values(generated.get(tIri));
      if (status !== 'RUNNING')
        plan.events.push({
          id: id(),
          type: 'taskEnd',
          task: text(t, 'taskId'),
          status,
          ...(te !== undefined ? { time: te } : {}),
          generated: tg.o,
        });
      else if (Object.keys(tg.o).length)
        plan.events.push({ id: id(), type: 'values', run, task: text(t, 'taskId'), generated: tg.o });
      for (const x of tg.extra) plan.events.push({ id: id(), type: 'values', run, task: text(t, 'taskId'), generated: x });
    }
    for (const [, e] of doc.entity) {
      const series = plain(first(e, P('series')));
      if (!Array.isArray(series) || !first(e, P('metricName'))) continue;
      const gen = doc.relations.find(
        (r) => r.type === 'wasGeneratedBy' && end(r, 'entity') && doc.entity.get(end(r, 'entity')!) === e,
      );
      if (gen && end(gen, 'activity') !== runIri) continue;
      const context = text(e, 'context');
      for (const pt of series as Array<[number | null, number, string, string | null]>) {
        plan.events.push({
          id: id(),
          type: 'metric',
          run,
          name: text(e, 'metricName'),
          value: pt[1],
          ...(pt[0] !== null ? { step: pt[0] } : {}),
          ...(context ? { context } : {}),
          ...(pt[3] ? { task: pt[3] } : {}),
          time: pt[2],
        });
      }
    }
    const status = text(a, 'status') ?? 'FINISHED';
    const rg = values(generated.get(runIri));
    if (status !== 'RUNNING')
      plan.events.push({
        id: id(),
        type: 'workflowEnd',
        run,
        status,
        ...(end_ !== undefined ? { time: end_ } : {}),
        generated: rg.o,
      });
  }
  for (const r of relations) plan.events.push({ id: id(), type: 'relation', ...r });
  return plan;
}
