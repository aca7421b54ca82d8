import { mapSchema, MapperKind } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  getNamedType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { RefKey } from '../connectors/store.loaders';
import type { RequestContext } from '../context';

/**
 * Store reads started early.
 *
 * Stitching resolves a DataReference's store fields (`object`, `knowledge`, `document`) only after
 * the provenance subschema has answered its whole subtree, and a reference nested under another
 * merged reference (a model's dataset's raw file) waits for its parent's merge as well: the store
 * round trips of a query add up one merge level after the other, behind all of the provenance
 * reads. The gateway's operation says which references will need which store fields, so the
 * provenance subschema starts those reads, through the same per-request dataloaders, as soon as it
 * returns each reference; the merges then find them in the loaders' caches. The merges stay the
 * only readers of the answers: a prefetched read that fails leaves its error in the loader's cached
 * promise, and the merge that needs it raises it at that field's path, as without prefetching.
 */

/** The store fields a DataReference can get from the store subschemas, with the read behind each. */
export type StoreFieldReaders = Readonly<Record<string, (ref: RefKey, ctx: RequestContext) => Promise<unknown>>>;

/**
 * Per response path below the root field (each response key after a '.', list indices left out;
 * '' is the root field itself): the store fields selected there. Root fields are left out of the key because the delegated
 * request need not keep the root field's alias; two root fields with the same inner paths share
 * an entry, which at worst reads a little more than needed.
 */
export type PrefetchPlan = ReadonlyMap<string, readonly string[]>;

const plans = new WeakMap<OperationDefinitionNode, PrefetchPlan>();

/**
 * The plan of one operation, made once per parsed operation (servers keep parsed documents, so a
 * repeated query costs one lookup). Selections are followed through fragments; a store field is
 * a selection with one of the readers' names and a sub-selection, since each is an object type.
 */
export function planOf(
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  storeFields: readonly string[],
): PrefetchPlan {
  const cached = plans.get(operation);
  if (cached) return cached;
  const plan = new Map<string, string[]>();
  const names = new Set(storeFields);
  // `at`: the path of the field that owns `set`; null for the operation's own selection set.
  const walk = (set: SelectionSetNode, at: string | null, visiting: ReadonlySet<string>) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet, at, visiting);
      else if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        const fragment = fragments[name];
        // A cycle of spreads is invalid GraphQL and fails validation; here it just stops.
        if (fragment && !visiting.has(name)) walk(fragment.selectionSet, at, new Set([...visiting, name]));
      } else if (sel.selectionSet) {
        if (at !== null && names.has(sel.name.value)) {
          const fields = plan.get(at) ?? [];
          if (!fields.includes(sel.name.value)) fields.push(sel.name.value);
          plan.set(at, fields);
        }
        walk(sel.selectionSet, at === null ? '' : `${at}.${sel.alias?.value ?? sel.name.value}`, visiting);
      }
    }
  };
  walk(operation.selectionSet, null, new Set());
  plans.set(operation, plan);
  return plan;
}

/** The response path of a field below its root field, list indices left out (the plan's key). */
function pathBelowRoot(info: GraphQLResolveInfo): string {
  let at = '';
  for (let p: GraphQLResolveInfo['path'] | undefined = info.path; p?.prev; p = p.prev) {
    if (typeof p.key === 'string') at = `.${p.key}${at}`;
  }
  return at;
}

const ignore = () => undefined;

function prefetch(refs: unknown, fields: readonly string[], readers: StoreFieldReaders, ctx: RequestContext) {
  const items = Array.isArray(refs) ? refs : [refs];
  for (const ref of items) {
    if (!ref || typeof ref !== 'object') continue;
    const { uri, store } = ref as Partial<RefKey>;
    if (typeof uri !== 'string' || typeof store !== 'string') continue;
    // Not awaited: the merge awaits the loader's cached promise; this one must not go unhandled.
    for (const field of fields) readers[field]?.({ uri, store }, ctx).catch(ignore);
  }
}

/**
 * The provenance subschema with every field that returns DataReference (or a list of them)
 * starting the planned store reads for the references it returns.
 */
export function withStorePrefetch(schema: GraphQLSchema, readers: StoreFieldReaders): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig) => {
      if (getNamedType(fieldConfig.type).name !== 'DataReference') return fieldConfig;
      const resolve: GraphQLFieldResolver<unknown, RequestContext> = fieldConfig.resolve ?? defaultFieldResolver;
      return {
        ...fieldConfig,
        resolve: (source, args, ctx, info) => {
          const out = resolve(source, args, ctx, info);
          const plan = ctx.storePrefetch;
          const fields = plan?.size ? plan.get(pathBelowRoot(info)) : undefined;
          if (!fields) return out;
          if (out instanceof Promise) {
            return out.then((refs: unknown) => {
              prefetch(refs, fields, readers, ctx);
              return refs;
            });
          }
          prefetch(out, fields, readers, ctx);
          return out;
        },
      };
    },
  });
}

/** Gateway side: the first root field of a request puts the operation's plan in the context. */
export function planOnRootFields(
  resolve: GraphQLFieldResolver<unknown, RequestContext>,
  storeFields: readonly string[],
): GraphQLFieldResolver<unknown, RequestContext> {
  return (source, args, ctx, info) => {
    ctx.storePrefetch ??= planOf(info.operation, info.fragments, storeFields);
    return resolve(source, args, ctx, info);
  };
}
