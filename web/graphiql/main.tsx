// The self-hosted GraphiQL of `provml serve`: GraphiQL 4 (CodeMirror 5) on React 19, bundled by
// Vite into dist/graphiql/assets, so the page loads nothing from outside the server.
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import './page.css';
import { createFetcher } from './fetcher';
import { readPageConfig } from './page-config';
import { storedToken, TokenField } from './token-field';

const config = readPageConfig(document);
// The page is served at the GraphQL endpoint itself (content negotiation), so its path is the endpoint.
const endpoint = window.location.pathname;
const defaultTabs = config.examples.map((e) => ({ query: e.query, variables: e.variables ?? null }));

function App() {
  const [token, setToken] = useState(() => storedToken().trim());
  // A new fetcher makes GraphiQL introspect again: the schema a token may see can differ.
  const fetcher = useMemo(() => createFetcher(endpoint, token), [token]);
  return (
    <div className="provml-page">
      <header className="provml-bar">
        <strong>provml</strong>
        <span className="provml-hint">
          {config.examples.length} example queries from <code>examples/queries/</code> open as tabs on a first visit
        </span>
        <TokenField onChange={setToken} />
      </header>
      <main className="provml-ide">
        <GraphiQL
          fetcher={fetcher}
          defaultTabs={defaultTabs.length ? defaultTabs : undefined}
          defaultEditorToolsVisibility="variables"
        >
          <GraphiQL.Logo>GraphiQL</GraphiQL.Logo>
        </GraphiQL>
      </main>
    </div>
  );
}

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
