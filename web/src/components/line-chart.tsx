import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  /** One value per x, null where the series has no point. */
  values: Array<number | null>;
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

/**
 * A uPlot chart of series over a shared x axis. The time from data to drawn canvas is recorded as
 * the performance measure `chart:<name>` (bench/web.ts reads it), and the container says how many
 * points it drew (data-points), which the browser tests check; it follows new data (a live run).
 */
export function LineChart({
  name,
  x,
  series,
  xLabel,
  yLabel,
  height = 260,
  time = false,
  logY = false,
}: {
  name: string;
  x: number[];
  series: Series[];
  xLabel: string;
  yLabel: string;
  height?: number;
  time?: boolean;
  logY?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const data = [x, ...series.map((s) => s.values)] as uPlot.AlignedData;
  const dataRef = useRef(data);
  dataRef.current = data;
  // The chart is made again only when its shape changes (labels, axes, size); new points on the
  // same series go through setData, so a live run's curves grow without redrawing the chart.
  const shape = JSON.stringify(series.map((s) => s.label));
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const start = performance.now();
    const labels = JSON.parse(shape) as string[];
    const opts: uPlot.Options = {
      width: Math.max(320, el.clientWidth || 640),
      height,
      scales: { x: { time }, y: logY ? { distr: 3 } : {} },
      axes: [{ label: xLabel }, { label: yLabel, size: 60 }],
      series: [
        { label: xLabel },
        ...labels.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true })),
      ],
      legend: { show: true },
    };
    const plot = new uPlot(opts, dataRef.current, el);
    plotRef.current = plot;
    performance.measure(`chart:${name}`, { start, end: performance.now() });
    el.dataset.points = String(dataRef.current[0].length);
    el.dataset.series = String(labels.length);
    const onResize = () => plot.setSize({ width: Math.max(320, el.clientWidth), height });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
      plotRef.current = null;
    };
  }, [name, shape, xLabel, yLabel, height, time, logY]);
  useEffect(() => {
    const plot = plotRef.current;
    const el = ref.current;
    if (!plot || !el || plot.data === dataRef.current) return;
    plot.setData(dataRef.current);
    el.dataset.points = String(dataRef.current[0].length);
  }, [x, series]);
  return <div className="chart" ref={ref} data-testid={`chart-${name}`} />;
}

/** Aligns several (x, y) series on the union of their x values, for one chart. */
export function alignSeries(input: Array<{ label: string; points: Array<{ x: number; y: number }> }>): {
  x: number[];
  series: Series[];
} {
  const xs = [...new Set(input.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((v, i) => [v, i]));
  const series = input.map((s) => {
    const values: Array<number | null> = new Array(xs.length).fill(null);
    for (const p of s.points) values[index.get(p.x)!] = p.y;
    return { label: s.label, values };
  });
  return { x: xs, series };
}
