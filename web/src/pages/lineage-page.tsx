import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ElkNode } from 'elkjs/lib/elk-api';
import ELK from 'elkjs/lib/elk-api.js';
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url';
import type { GqlError } from '../graphql';
import { href, navigate } from '../router';
import { ErrorList, Loading } from '../components/status';
import { EDGE_KINDS, fetchLineage, mergeGraphs, type Direction, type EdgeKind, type LineageGraph } from '../lineage-graph';

const NODE_W = 184;
const NODE_H = 46;
const CAP_STEP = 60;
// Past this many nodes an SVG graph stops being readable or quick; narrower edge kinds help more.
const UI_MAX_CAP = 960;
// The layout runs in a web worker: a graph of hundreds of nodes never blocks the page.
const elk = new ELK({ workerFactory: () => new Worker(elkWorkerUrl) });

interface Laid {
  /** The graph this layout is of (a newer graph may be in layout still). */
  graph: LineageGraph;
  width: number;
  height: number;
  pos: Map<string, { x: number; y: number }>;
  paths: Array<{ key: string; kind: EdgeKind; d: string; mid: { x: number; y: number } }>;
}

// Causes on the left, effects on the right: PROV edges point from effect to cause, so the
// layered layout runs right to left.
async function layout(g: LineageGraph): Promise<Laid> {
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'LEFT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '56',
      'elk.spacing.nodeNode': '18',
      'elk.edgeRouting': 'POLYLINE',
    },
    children: [...g.nodes.keys()].map((id) => ({ id, width: NODE_W, height: NODE_H })),
    edges: [...g.edges].map(([key, e]) => ({ id: key, sources: [e.from], targets: [e.to] })),
  };
  const out = await elk.layout(graph);
  const pos = new Map((out.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
  const paths = (out.edges ?? []).flatMap((e) =>
    (e.sections ?? []).map((s) => {
      const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
      const mid = pts[Math.floor(pts.length / 2)];
      return { key: e.id, kind: g.edges.get(e.id)!.kind, d: `M${pts.map((p) => `${p.x},${p.y}`).join(' L')}`, mid };
    }),
  );
  return { graph: g, width: (out.width ?? 0) + 20, height: (out.height ?? 0) + 20, pos, paths };
}

/** The lineage explorer: from any node, backward and forward, expand by clicking, nodes link to pages. */
export default function LineagePage({ params }: { params: URLSearchParams }) {
  const start = params.get('start') ?? '';
  const dir = (['BACKWARD', 'FORWARD', 'BOTH'].includes(params.get('dir') ?? '') ? params.get('dir') : 'BACKWARD') as Direction;
  const depth = Math.max(1, Math.min(20, Number(params.get('depth') ?? 6) || 6));
  const kindsParam = params.getAll('kind').filter((k): k is EdgeKind => (EDGE_KINDS as readonly string[]).includes(k));
  const kinds = kindsParam.length ? kindsParam : null;
  const [cap, setCap] = useState(CAP_STEP);
  const [graph, setGraph] = useState<LineageGraph | null>(null);
  const [capped, setCapped] = useState(false);
  const [shownDepth, setShownDepth] = useState(depth);
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<GqlError[]>([]);
  const [laid, setLaid] = useState<Laid | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const scrollRef = useRef<HTMLDivElement>(null);
  const scrolledFor = useRef('');
  const key = `${start}|${dir}|${depth}|${kinds?.join(',')}`;

  useEffect(() => setCap(CAP_STEP), [key]);
  useEffect(() => {
    if (!start) return;
    let live = true;
    setBusy(true);
    fetchLineage(start, dir, depth, cap, kinds).then(
      (r) => {
        if (!live) return;
        setGraph(r.added);
        setCapped(r.capped);
        setShownDepth(r.depth);
        setNote('');
        setErrors(r.errors);
        setBusy(false);
      },
      (err: unknown) => live && (setErrors([{ message: String(err) }]), setBusy(false)),
    );
    return () => {
      live = false;
    };
  }, [key, cap]);
  useEffect(() => {
    if (!graph) return;
    let live = true;
    layout(graph).then((l) => {
      if (!live) return;
      setLaid(l);
      // Bring the start node into view once per traversal (a backward graph grows to its left);
      // an expansion keeps the user's scroll position.
      if (scrolledFor.current === key) return;
      scrolledFor.current = key;
      const first = [...graph.nodes.values()].find((n) => n.start);
      const p = first && l.pos.get(first.id);
      const pane = scrollRef.current;
      if (p && pane) requestAnimationFrame(() => pane.scrollTo({ left: Math.max(0, p.x - pane.clientWidth / 2), top: 0 }));
    });
    return () => {
      live = false;
    };
  }, [graph]);

  const expand = async (id: string) => {
    if (!graph) return;
    setSelected(id);
    const node = graph.nodes.get(id);
    if (!node || node.expanded) return;
    setBusy(true);
    const r = await fetchLineage(id, 'BOTH', 1, CAP_STEP, kinds);
    setBusy(false);
    setErrors(r.errors);
    setNote(
      r.capped && r.depth === 0
        ? `${node.label} has more than ${CAP_STEP} neighbours: narrow the edge kinds (e.g. without "was part of") to expand it.`
        : '',
    );
    setGraph((g) => {
      if (!g) return g;
      const merged = mergeGraphs(g, r.added);
      merged.nodes.set(id, { ...merged.nodes.get(id)!, expanded: true });
      return merged;
    });
  };

  const sel = selected ? graph?.nodes.get(selected) : null;
  return (
    <article data-testid="lineage-page">
      <h1>Lineage</h1>
      <LineageForm start={start} dir={dir} depth={depth} kinds={kinds} />
      <ErrorList errors={errors} />
      {!start ? (
        <p className="muted">
          Start from a data URI (e.g. <a href={href('lineage', { start: '/models/model188.hdf5' })}>/models/model188.hdf5</a>) or
          an id such as <code>run:…</code>, <code>task:…</code>, <code>ref:…</code>.
        </p>
      ) : !laid || !graph ? (
        <Loading />
      ) : (
        <>
          <p className="muted" data-testid="lineage-summary">
            {laid.graph.nodes.size} nodes, {laid.graph.edges.size} edges
            {busy ? ' · loading…' : laid.graph !== graph ? ' · laying out…' : ''}. Click a node to expand it; ↗ opens its page.
            {capped && (
              <span className="capped" data-testid="capped">
                {' '}
                Depth {shownDepth} of {depth} shown: the next level passes the cap of {cap} nodes.
                {cap < UI_MAX_CAP ? (
                  <button
                    type="button"
                    className="link"
                    onClick={() => setCap((c) => Math.min(UI_MAX_CAP, c * 4))}
                    data-testid="show-more"
                  >
                    Show more
                  </button>
                ) : (
                  ' Narrow the edge kinds to see further.'
                )}
              </span>
            )}
            {note && <span className="capped"> {note}</span>}
          </p>
          <div className="lineage-layout">
            <div className="graph-scroll" ref={scrollRef}>
              <svg width={laid.width} height={laid.height} className="graph" data-testid="lineage-graph">
                <defs>
                  <marker
                    id="arrow"
                    viewBox="0 0 10 10"
                    refX="10"
                    refY="5"
                    markerWidth="7"
                    markerHeight="7"
                    orient="auto-start-reverse"
                  >
                    <path d="M0,0 L10,5 L0,10 z" />
                  </marker>
                </defs>
                {laid.paths.map((p) => (
                  <g key={p.key} className={`edge edge-${p.kind}`}>
                    <path d={p.d} markerEnd="url(#arrow)" />
                    <text x={p.mid.x} y={p.mid.y - 3} textAnchor="middle">
                      {p.kind.toLowerCase().replace(/_/g, ' ')}
                    </text>
                  </g>
                ))}
                {[...laid.graph.nodes.values()].map((n) => {
                  const p = laid.pos.get(n.id);
                  if (!p) return null;
                  return (
                    <g
                      key={n.id}
                      transform={`translate(${p.x},${p.y})`}
                      className={`node node-${n.type}${n.id === selected ? ' selected' : ''}${n.start ? ' start' : ''}`}
                      data-node-id={n.id}
                      onClick={() => void expand(n.id)}
                    >
                      <title>{`${n.type} ${n.id}`}</title>
                      <rect width={NODE_W} height={NODE_H} rx={6} />
                      <text x={8} y={18} className="label">
                        {n.label.length > 30 ? `…${n.label.slice(-29)}` : n.label}
                      </text>
                      <text x={8} y={35} className="sub">
                        {n.type} · {n.sub.length > 26 ? `${n.sub.slice(0, 25)}…` : n.sub}
                      </text>
                      <a href={href(n.link.page, n.link.params)} onClick={(e) => e.stopPropagation()}>
                        <text x={NODE_W - 18} y={18} className="open">
                          ↗
                        </text>
                      </a>
                    </g>
                  );
                })}
              </svg>
            </div>
            {sel && (
              <aside className="card node-panel" data-testid="node-panel">
                <h3>{sel.label}</h3>
                <p className="muted">
                  {sel.type} <code>{sel.id}</code>
                </p>
                <p>
                  <a href={href(sel.link.page, sel.link.params)}>
                    Open {sel.link.page === 'lineage' ? 'lineage from here' : sel.link.page}
                  </a>
                </p>
                <p>
                  <a href={href('lineage', { start: sel.id, dir: 'BACKWARD', depth })}>Backward from here</a> ·{' '}
                  <a href={href('lineage', { start: sel.id, dir: 'FORWARD', depth })}>forward</a>
                </p>
              </aside>
            )}
          </div>
        </>
      )}
    </article>
  );
}

function LineageForm({ start, dir, depth, kinds }: { start: string; dir: Direction; depth: number; kinds: EdgeKind[] | null }) {
  const [s, setS] = useState(start);
  const [d, setD] = useState<Direction>(dir);
  const [n, setN] = useState(depth);
  const [k, setK] = useState<EdgeKind[]>(kinds ?? [...EDGE_KINDS]);
  useEffect(() => setS(start), [start]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(href('lineage', { start: s, dir: d, depth: n, kind: k.length === EDGE_KINDS.length ? undefined : k }));
  };
  return (
    <form className="filters" onSubmit={submit}>
      <label className="wide">
        Start
        <input name="start" value={s} placeholder="/models/model188.hdf5" onChange={(e) => setS(e.target.value)} />
      </label>
      <label>
        Direction
        <select name="dir" value={d} onChange={(e) => setD(e.target.value as Direction)}>
          <option value="BACKWARD">backward (where from)</option>
          <option value="FORWARD">forward (what used it)</option>
          <option value="BOTH">both</option>
        </select>
      </label>
      <label>
        Depth
        <input name="depth" type="number" min={1} max={20} value={n} onChange={(e) => setN(Number(e.target.value))} />
      </label>
      <fieldset className="kinds">
        <legend>Edge kinds</legend>
        {EDGE_KINDS.map((kind) => (
          <label key={kind} className="check">
            <input
              type="checkbox"
              checked={k.includes(kind)}
              onChange={() => setK((cur) => (cur.includes(kind) ? cur.filter((x) => x !== kind) : [...cur, kind]))}
            />
            {kind.toLowerCase().replace(/_/g, ' ')}
          </label>
        ))}
      </fieldset>
      <button type="submit">Show</button>
    </form>
  );
}
