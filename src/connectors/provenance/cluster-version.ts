import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A cluster directory written by another PostgreSQL major version than the binaries provml
 * ships: PostgreSQL would refuse it at start-up with a line buried in its log, or, worse, a
 * later provml with newer binaries would be tempted to "fix" it. It is refused before anything
 * runs on it, naming both versions; the cluster is left exactly as it is.
 */
export class ClusterVersionError extends Error {
  readonly code = 'CLUSTER_VERSION_MISMATCH';
  constructor(
    readonly clusterDir: string,
    readonly clusterVersion: string,
    readonly binariesMajor: number,
  ) {
    super(
      `the local PostgreSQL cluster ${clusterDir} was made by PostgreSQL ${clusterVersion} (its PG_VERSION), ` +
        `but this provml ships PostgreSQL ${binariesMajor}, which cannot open it; nothing was changed. ` +
        `Use the provml that made it, upgrade the cluster with pg_upgrade, or set PROVML_DATABASE_URL`,
    );
    this.name = 'ClusterVersionError';
  }
}

/** The PG_VERSION of a cluster directory (`18`), or null when it has none (no cluster). */
export function clusterVersion(clusterDir: string): string | null {
  const file = path.join(clusterDir, 'PG_VERSION');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

/** Throws ClusterVersionError unless the cluster's PG_VERSION is the binaries' major version. */
export function assertClusterVersion(clusterDir: string, binariesMajor: number): void {
  const version = clusterVersion(clusterDir);
  if (version !== null && version !== String(binariesMajor)) throw new ClusterVersionError(clusterDir, version, binariesMajor);
}
