import { prefetch } from './graphql';
import { MODEL_CARD } from './model-card-query';
import type { Route } from './router';
import { METRIC_NAMES, RUN, RUN_STATS, seriesQuery } from './run-queries';

/**
 * Starts a page's queries as soon as its route is known, while the page's code is still loading
 * (the pages are lazy chunks): the data and the code arrive together instead of one after the
 * other. The page's useQuery takes the request started here.
 */
export function prefetchRoute(route: Route): void {
  if (route.page === 'run') {
    const id = route.params.get('id');
    if (!id) return;
    void prefetch(RUN, { id });
    void prefetch(RUN_STATS, { id });
    void prefetch<{ execution: { metricNames: string[] } | null }>(METRIC_NAMES, { id }).then((r) => {
      if (r.data?.execution) prefetch(seriesQuery(1, r.data.execution.metricNames, false), { r0: id });
    });
  } else if (route.page === 'model') {
    void prefetch(MODEL_CARD, { uri: route.params.get('uri') ?? '/models/model188.hdf5' });
  }
}
