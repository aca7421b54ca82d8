import { lazy, Suspense } from 'react';
import { prefetchRoute } from './prefetch';
import { href, useRoute } from './router';
import { SearchPage } from './pages/search-page';

// Pages other than search load on first visit: the first page stays small, and the layout
// (elkjs) and chart (uPlot) code is fetched only by the pages that draw with it.
const ModelCardPage = lazy(() => import('./pages/model-card-page'));
const LineagePage = lazy(() => import('./pages/lineage-page'));
const RunPage = lazy(() => import('./pages/run-page'));
const ComparePage = lazy(() => import('./pages/compare-page'));

const NAV: Array<[string, string]> = [
  ['search', 'Search'],
  ['lineage', 'Lineage'],
  ['compare', 'Compare runs'],
];

export function App() {
  // On each route change the page's requests go out before the page's chunk has arrived.
  const route = useRoute(prefetchRoute);
  let page;
  switch (route.page) {
    case 'model':
      page = <ModelCardPage params={route.params} />;
      break;
    case 'lineage':
      page = <LineagePage params={route.params} />;
      break;
    case 'run':
      page = <RunPage params={route.params} />;
      break;
    case 'compare':
      page = <ComparePage params={route.params} />;
      break;
    default:
      page = <SearchPage params={route.params} />;
  }
  return (
    <>
      <header className="top">
        <a className="brand" href={href('search')}>
          provml
        </a>
        <nav>
          {NAV.map(([p, label]) => (
            <a key={p} href={href(p)} className={route.page === p ? 'active' : undefined}>
              {label}
            </a>
          ))}
          <a href="/graphql">GraphQL</a>
        </nav>
      </header>
      <main>
        <Suspense fallback={<p className="muted">Loading…</p>}>{page}</Suspense>
      </main>
    </>
  );
}
