import type { GqlError } from '../graphql';

/** A field a store could not give: says which store and why, where the data would have been. */
export function Unavailable({ errors, what }: { errors: readonly GqlError[]; what: string }) {
  const e = errors[0];
  const store = e?.extensions?.store;
  const code = e?.extensions?.code;
  return (
    <div className="unavailable" role="status" data-testid="unavailable">
      <strong>{what} unavailable</strong>
      {store ? ` — store ${store}` : ''}
      {code ? ` (${code})` : ''}
      {e ? `: ${e.message}` : ''}
    </div>
  );
}

/** Errors that cost the whole page (the query failed, or the root field did). */
export function ErrorList({ errors }: { errors: readonly GqlError[] }) {
  if (!errors.length) return null;
  return (
    <div className="error" role="alert">
      {errors.map((e, i) => (
        <div key={i}>
          {e.extensions?.code ? <code>{e.extensions.code}</code> : null} {e.message}
        </div>
      ))}
    </div>
  );
}

export function Loading() {
  return <p className="muted">Loading…</p>;
}
