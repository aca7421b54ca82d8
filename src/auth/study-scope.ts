import type { StudyVisibility } from '../connectors/provenance/pg-study-visibility';

// Global ids are `kind:key` (src/schema/views.ts); parsed here without importing the schema
// classes, which the server's context loads before type-graphql's metadata polyfill.
function parseGlobalId(id: string): { kind: string; key: string } | null {
  const i = id.indexOf(':');
  return i > 0 ? { kind: id.slice(0, i), key: id.slice(i + 1) } : null;
}

/**
 * What one request of a study-limited token may see, with the answers of the database kept for
 * the request (one look-up per id, batched). Used by the study-scoped store (study-scoped-store.ts).
 */
export class StudyScope {
  private readonly studySet: ReadonlySet<string>;
  private readonly workflows = new Map<string, boolean>();
  private readonly cache = {
    run: new Map<string, boolean>(),
    task: new Map<string, boolean>(),
    ref: new Map<string, boolean>(),
    agent: new Map<string, boolean>(),
  };
  /** Lineage edges left out because they cross out of the token's studies (Lineage.studyBoundaryEdges). */
  boundaryEdges = 0;

  constructor(
    readonly studies: readonly string[],
    private readonly visibility: StudyVisibility,
  ) {
    this.studySet = new Set(studies);
  }

  studyVisible(id: string | null | undefined): boolean {
    return id !== null && id !== undefined && this.studySet.has(id);
  }

  async workflowsVisible(ids: readonly string[]): Promise<Set<string>> {
    const missing = [...new Set(ids.filter((i) => !this.workflows.has(i)))];
    if (missing.length) {
      const studies = await this.visibility.workflowStudies(missing);
      for (const w of missing) this.workflows.set(w, this.studyVisible(studies.get(w)));
    }
    return new Set(ids.filter((i) => this.workflows.get(i)));
  }

  private async cached(kind: keyof StudyScope['cache'], ids: readonly string[]): Promise<Set<string>> {
    const c = this.cache[kind];
    const missing = [...new Set(ids.filter((i) => !c.has(i)))];
    if (missing.length) {
      const look =
        kind === 'run'
          ? this.visibility.runsIn(missing, this.studies)
          : kind === 'task'
            ? this.visibility.tasksIn(missing, this.studies)
            : kind === 'ref'
              ? this.visibility.refsIn(missing, this.studies)
              : this.visibility.agentsIn(missing, this.studies);
      const seen = await look;
      for (const m of missing) c.set(m, seen.has(m));
    }
    return new Set(ids.filter((i) => c.get(i)));
  }

  runsVisible = (ids: readonly string[]) => this.cached('run', ids);
  tasksVisible = (ids: readonly string[]) => this.cached('task', ids);
  refsVisible = (ids: readonly string[]) => this.cached('ref', ids);
  agentsVisible = (ids: readonly string[]) => this.cached('agent', ids);

  /** Visible global ids among `ids` (lineage nodes and PROV relation ends: run:, task:, ref:, agent:, study:, ...). */
  async nodesVisible(ids: readonly string[]): Promise<Set<string>> {
    const byKind = new Map<string, string[]>();
    for (const id of ids) {
      const g = parseGlobalId(id);
      if (!g) continue;
      byKind.set(g.kind, [...(byKind.get(g.kind) ?? []), g.key]);
    }
    const out = new Set<string>();
    const add = (kind: string, keys: Set<string>) => keys.forEach((k) => out.add(`${kind}:${k}`));
    await Promise.all(
      [...byKind].map(async ([kind, keys]) => {
        if (kind === 'run') add(kind, await this.runsVisible(keys));
        else if (kind === 'task') add(kind, await this.tasksVisible(keys));
        else if (kind === 'ref') add(kind, await this.refsVisible(keys));
        else if (kind === 'agent') add(kind, await this.agentsVisible(keys));
        else if (kind === 'study') add(kind, new Set(keys.filter((k) => this.studyVisible(k))));
        else if (kind === 'experiment') add(kind, await this.workflowsVisible(keys));
        // Any other kind of node in a relation: not shown to a study-limited token.
      }),
    );
    return out;
  }
}
