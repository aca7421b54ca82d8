import fs from 'node:fs/promises';
import path from 'node:path';
import type { ApolloServer } from '@apollo/server';
import type { AppDeps, RequestContext } from '../../src/context';
import type { CreatedStore } from '../../src/connectors/store-config';
import type { StoreRegistry } from '../../src/connectors/store-registry';
import type { RemoteSubschema } from '../../src/resolvers/remote/remote.subschema';
import { buildGatewaySchema, buildSubschemaConfigs } from '../../src/schema/stitch';
import { createTestApp } from '../helpers/app';

export type GqlError = { message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> };
export interface GqlResult<T> {
  data?: T | null;
  errors?: GqlError[];
}

/** The gateway (provenance on a fresh PostgreSQL database, plus a store registry) as Apollo runs it. */
export interface FederationApp {
  deps: AppDeps;
  apollo: ApolloServer<RequestContext>;
  run<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export async function createFederationApp(
  registry: StoreRegistry,
  options: { remotes?: RemoteSubschema[]; demo?: boolean } = {},
): Promise<FederationApp> {
  const schema = options.remotes?.length ? buildGatewaySchema(buildSubschemaConfigs({ remotes: options.remotes })) : undefined;
  return createTestApp({}, { registry, schema, demo: options.demo !== false });
}

/**
 * Counts connector calls (each is one round trip to its store; an S3 stat of n keys is n HEADs
 * under one call) by wrapping the real connectors' batch methods in place. Nothing is faked:
 * every call still reaches the store.
 */
export function countStoreCalls(registry: StoreRegistry): {
  calls: Map<string, number>;
  keys: Map<string, number>;
  reset(): void;
} {
  const calls = new Map<string, number>();
  const keys = new Map<string, number>();
  const bump = (id: string, n: number) => {
    calls.set(id, (calls.get(id) ?? 0) + 1);
    keys.set(id, (keys.get(id) ?? 0) + n);
  };
  for (const s of registry.stores as CreatedStore[]) {
    if (s.kind === 'sparql') {
      const orig = s.knowledge.describe.bind(s.knowledge);
      s.knowledge.describe = (uris) => (bump(s.id, uris.length), orig(uris));
    } else if (s.kind === 'mongodb') {
      const orig = s.documents.findByUris.bind(s.documents);
      s.documents.findByUris = (uris) => (bump(s.id, uris.length), orig(uris));
    } else if (s.kind === 's3' || s.kind === 'fs') {
      const orig = s.objects.stat.bind(s.objects);
      s.objects.stat = (uris) => (bump(s.id, uris.length), orig(uris));
    }
  }
  return { calls, keys, reset: () => (calls.clear(), keys.clear()) };
}

/**
 * Logs, in order, the object-store stat calls (with their keys) and the end of every provenance
 * store call, by wrapping the real methods in place; `restore` puts the originals back.
 */
export function traceReads(store: object, registry: StoreRegistry): { log: string[]; restore(): void } {
  const log: string[] = [];
  const undo: Array<() => void> = [];
  const target = store as Record<string, unknown>;
  for (let o: object | null = store; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const fn = target[name];
      if (name === 'constructor' || typeof fn !== 'function' || Object.hasOwn(target, name)) continue;
      target[name] = async (...a: unknown[]) => {
        try {
          return await (fn as (...x: unknown[]) => Promise<unknown>).apply(store, a);
        } finally {
          log.push(`provenance ${name} done`);
        }
      };
      undo.push(() => delete target[name]);
    }
  }
  for (const s of registry.stores as CreatedStore[]) {
    if (s.kind !== 's3' && s.kind !== 'fs') continue;
    const objects = s.objects;
    const orig = objects.stat;
    objects.stat = (keys) => (log.push(`${s.id} stat ${keys.join(' ')}`), orig.call(objects, keys));
    undo.push(() => (objects.stat = orig));
  }
  return { log, restore: () => undo.forEach((f) => f()) };
}

export async function readExample(name: string): Promise<{ query: string; variables: Record<string, unknown> }> {
  const dir = path.join(__dirname, '../../examples/queries');
  return {
    query: await fs.readFile(path.join(dir, `${name}.graphql`), 'utf8'),
    variables: JSON.parse(await fs.readFile(path.join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>,
  };
}
