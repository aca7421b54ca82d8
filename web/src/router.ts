import { useEffect, useState } from 'react';

// Routes live in the URL fragment (#/model?uri=...), so the server needs no per-page routes and
// every page is a link a user can share or bookmark.

export interface Route {
  page: string;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [page, query = ''] = raw.split('?', 2);
  return { page: page || 'search', params: new URLSearchParams(query) };
}

export function href(page: string, params: Record<string, string | number | undefined | string[]> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.set(k, String(v));
  }
  const s = q.toString();
  return `#/${page}${s ? `?${s}` : ''}`;
}

/** The current route; `onRoute` is called once for the first route and once per change. */
export function useRoute(onRoute?: (route: Route) => void): Route {
  const [route, setRoute] = useState(() => {
    const first = parseHash(window.location.hash);
    onRoute?.(first);
    return first;
  });
  useEffect(() => {
    const on = () => {
      const next = parseHash(window.location.hash);
      onRoute?.(next);
      setRoute(next);
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, [onRoute]);
  return route;
}

export function navigate(to: string): void {
  window.location.hash = to.replace(/^#/, '');
}
