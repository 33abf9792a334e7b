/** Spend per hour over the last 24 hours (`GET /api/v1/usage/hourly?hours=24`), drawn with uPlot. */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { apiFetch } from '../../api/client.js';
import type { HourlyUsageDto } from '../../api/types.js';
import { formatUsd } from '../../lib/format.js';

let canvasSupport: boolean | null = null;
function canDrawCanvas(): boolean {
  if (canvasSupport === null) {
    try {
      canvasSupport = document.createElement('canvas').getContext('2d') !== null;
    } catch {
      canvasSupport = false;
    }
  }
  return canvasSupport;
}

function Chart({ items }: { items: HourlyUsageDto['items'] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null || !canDrawCanvas()) return;
    const data: uPlot.AlignedData = [items.map((i) => i.hour / 1000), items.map((i) => i.usd)];
    const width = (): number => Math.max(240, el.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 160,
        legend: { show: false },
        cursor: { show: true, points: { show: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(0.01, max * 1.1)] } },
        axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((v) => formatUsd(v)) }],
        series: [{}, { label: 'USD', stroke: '#1f5fbf', fill: 'rgba(31, 95, 191, 0.15)', width: 2, paths: uPlot.paths.stepped?.({ align: 1 }) }],
      },
      data,
      el,
    );
    const onResize = (): void => plot.setSize({ width: width(), height: 160 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [items]);
  return <div ref={box} className="chart" aria-hidden="true" />;
}

export function SpendChart() {
  const q = useQuery<HourlyUsageDto>({
    queryKey: ['usage', 'hourly', 24],
    queryFn: ({ signal }) => apiFetch<HourlyUsageDto>('/api/v1/usage/hourly?hours=24', { signal }),
    refetchInterval: 30_000,
  });
  const items = q.data?.items ?? [];
  const total = items.reduce((s, i) => s + i.usd, 0);
  const peak = items.reduce((m, i) => Math.max(m, i.usd), 0);
  return (
    <figure className="card spend">
      <figcaption>
        <h2>Spend per hour, last 24 hours</h2>
        {q.isError ? (
          <p className="error">Could not load spend: {q.error.message}</p>
        ) : (
          <p>
            Total {formatUsd(total)}, peak hour {formatUsd(peak)}
          </p>
        )}
      </figcaption>
      {items.length > 0 && <Chart items={items} />}
    </figure>
  );
}
