import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NS, compact } from './namespaces';
import type { AttrValue, KeptRecord, NodeRecord, ProvRecord, RelationRecord, RelationType } from './prov-records';

/**
 * W3C PROV-JSON (the 2013 member submission). PROV-JSON groups statements by kind, so the
 * writer spools each section to a temporary file while the records stream in, then writes the
 * sections one after the other: memory stays bounded whatever the size of the store.
 */
const PREFIXES: Record<string, string> = { provml: NS.provml, mls: NS.mls, provmlid: NS.provmlid, rdfs: NS.rdfs };
const ALL_PREFIXES: Record<string, string> = { ...PREFIXES, prov: NS.prov, xsd: NS.xsd };

const SECTIONS = [
  'entity',
  'activity',
  'agent',
  'used',
  'wasGeneratedBy',
  'wasDerivedFrom',
  'wasInformedBy',
  'wasAssociatedWith',
  'hadMember',
  // Kinds provml writes only for statements an import kept as written (kept-statements.ts).
  'wasStartedBy',
  'wasEndedBy',
  'wasInvalidatedBy',
  'wasAttributedTo',
  'actedOnBehalfOf',
  'wasInfluencedBy',
  'specializationOf',
  'alternateOf',
  'mentionOf',
  'bundle',
] as const;
type Section = (typeof SECTIONS)[number];
const isSection = (s: string): s is Section => (SECTIONS as readonly string[]).includes(s);

/** A qualified name for PROV-JSON; IRIs outside our prefixes get a generated prefix. */
class QNames {
  readonly extra: Record<string, string> = {};
  private n = 0;
  /** Reuses a source document's prefix for its namespace, where the name is still free. */
  prefer(prefix: string, ns: string): void {
    if (!/^[A-Za-z_][\w.-]*$/.test(prefix) || /^ns\d+$/.test(prefix)) return;
    const taken = { ...ALL_PREFIXES, ...this.extra };
    if (prefix in taken || Object.values(taken).includes(ns)) return;
    this.extra[prefix] = ns;
  }
  q(iri: string): string {
    const c = compact(iri, { ...ALL_PREFIXES, ...this.extra });
    if (c) return c;
    // Split after the last '#' or '/', so that the local part stays short.
    const cut = Math.max(iri.lastIndexOf('#'), iri.lastIndexOf('/')) + 1;
    const ns = cut > 0 ? iri.slice(0, cut) : iri;
    this.extra[`ns${++this.n}`] = ns;
    return `ns${this.n}:${iri.slice(ns.length)}`;
  }
}

function value(v: AttrValue, q: QNames): unknown {
  switch (v.kind) {
    case 'string':
    case 'boolean':
      return v.value;
    case 'int':
      return { $: v.value, type: 'xsd:int' };
    case 'double':
      return { $: v.value, type: 'xsd:double' };
    case 'dateTime':
      return { $: v.value, type: 'xsd:dateTime' };
    case 'iri':
      return { $: q.q(v.value), type: 'prov:QUALIFIED_NAME' };
    case 'json':
      return { $: JSON.stringify(v.value), type: 'provml:json' };
    case 'typed':
      return { $: v.value, type: q.q(v.datatype) };
    case 'langString':
      return { $: v.value, lang: v.lang };
  }
}

function attributes(attrs: Array<[string, AttrValue]>, q: QNames, into: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of attrs) {
    const key = q.q(k);
    const val = value(v, q);
    const prev = into[key];
    into[key] = prev === undefined ? val : Array.isArray(prev) ? [...prev, val] : [prev, val];
  }
  return into;
}

function nodeBody(r: NodeRecord, q: QNames): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (r.classes.length) {
    const types = r.classes.map((c) => ({ $: q.q(c), type: 'prov:QUALIFIED_NAME' }));
    body['prov:type'] = types.length === 1 ? types[0] : types;
  }
  if (r.label !== undefined) body['prov:label'] = r.label;
  if (r.startTime) body['prov:startTime'] = r.startTime;
  if (r.endTime) body['prov:endTime'] = r.endTime;
  return attributes(r.attrs, q, body);
}

const ENDS: Record<RelationType, [string, string]> = {
  used: ['prov:activity', 'prov:entity'],
  wasGeneratedBy: ['prov:entity', 'prov:activity'],
  wasDerivedFrom: ['prov:generatedEntity', 'prov:usedEntity'],
  wasInformedBy: ['prov:informed', 'prov:informant'],
  wasAssociatedWith: ['prov:activity', 'prov:agent'],
  hadMember: ['prov:collection', 'prov:entity'],
};

function relationBody(r: RelationRecord, q: QNames): Record<string, unknown> {
  const [s, o] = ENDS[r.type];
  const body: Record<string, unknown> = { [s]: q.q(r.subject), [o]: q.q(r.object) };
  if (r.time && (r.type === 'used' || r.type === 'wasGeneratedBy')) body['prov:time'] = r.time;
  return attributes(r.attrs, q, body);
}

/** A kept statement as PROV-JSON writes it, marked so that provml's own import knows it. */
function keptBody(r: KeptRecord, q: QNames): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [k, node] of r.ends) body[q.q(k)] = q.q(node);
  if (r.time) body['prov:time'] = r.time;
  attributes(r.attrs, q, body);
  body['provml:keptAsWritten'] = true;
  return body;
}

async function write(stream: WriteStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}

export async function* writeProvJson(records: AsyncIterable<ProvRecord>): AsyncGenerator<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'provml-provjson-'));
  try {
    const streams = new Map<Section, WriteStream>();
    const counts = new Map<Section, number>();
    const q = new QNames();
    let relId = 0;
    const seenNodes = new Set<string>();
    const put = async (section: Section, key: string, body: unknown) => {
      let s = streams.get(section);
      if (!s) {
        s = createWriteStream(path.join(dir, section));
        streams.set(section, s);
      }
      const n = counts.get(section) ?? 0;
      counts.set(section, n + 1);
      await write(s, `${n ? ',\n' : ''}    ${JSON.stringify(key)}: ${JSON.stringify(body)}`);
    };
    for await (const r of records) {
      if (r.record === 'node') {
        // A node id appears once per PROV-JSON document (keys of one JSON object).
        if (seenNodes.has(r.id)) continue;
        seenNodes.add(r.id);
        await put(r.type, q.q(r.id), nodeBody(r, q));
      } else if (r.record === 'relation') {
        await put(r.type, `_:r${++relId}`, relationBody(r, q));
      } else if (r.record === 'kept' && isSection(r.section)) {
        for (const [p, ns] of Object.entries(r.prefixes)) q.prefer(p, ns);
        if (r.bundle) {
          await put(r.section, q.q(r.id), r.bundle);
        } else {
          const key = r.id.startsWith('_:') ? `_:k${++relId}` : q.q(r.id);
          await put(r.section, key, keptBody(r, q));
        }
      }
    }
    await Promise.all(
      [...streams.values()].map(
        (s) => new Promise<void>((resolve, reject) => s.end((err?: Error | null) => (err ? reject(err) : resolve()))),
      ),
    );
    yield `{\n  "prefix": ${JSON.stringify({ ...PREFIXES, ...q.extra })}`;
    for (const section of SECTIONS) {
      if (!streams.has(section)) continue;
      yield `,\n  ${JSON.stringify(section)}: {\n`;
      for await (const chunk of createReadStream(path.join(dir, section), { encoding: 'utf8', highWaterMark: 1 << 16 }))
        yield chunk as string;
      yield '\n  }';
    }
    yield '\n}\n';
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
