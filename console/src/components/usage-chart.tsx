/**
 * Requests per day as a uPlot line chart, with the same numbers in a table for people who do not
 * see the chart. uPlot draws on a canvas and sets element.style from script, which a CSP without
 * 'unsafe-inline' allows (it blocks style elements and attributes in markup only); its stylesheet
 * is bundled as a file.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { UsageDay } from '../../../packages/client/src/index';

/** Every day of the range, with zeros for days the history leaves out (it lists days with requests only). */
export function fillDays(from: string, to: string, days: readonly Partial<UsageDay>[]): UsageDay[] {
  const byDay = new Map(days.map((d) => [String(d.day), d]));
  const out: UsageDay[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`); t <= end && out.length < 400; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const d = byDay.get(day);
    out.push({
      day,
      requests: Number(d?.requests ?? 0),
      errors: Number(d?.errors ?? 0),
      rateLimited: Number(d?.rateLimited ?? 0),
      p50LatencyMs: d?.p50LatencyMs ?? null,
      p95LatencyMs: d?.p95LatencyMs ?? null,
      p99LatencyMs: d?.p99LatencyMs ?? null,
    });
  }
  return out;
}

export function UsageChart({ days }: { readonly days: readonly UsageDay[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
    const plot = new uPlot(
      {
        // The box's inner width (padding 0.5rem each side), within reason.
        width: Math.max(320, Math.min(1100, (el.clientWidth || 660) - 20)),
        height: 240,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true } },
        series: [
          {},
          { label: 'Requests', stroke: '#1f5fa8', width: 2 },
          { label: 'Errors', stroke: '#b3261e', width: 2, dash: [6, 4] },
          { label: 'Rate-limited', stroke: '#8a5a00', width: 2, dash: [2, 3] },
        ],
        axes: [{}, { label: 'Requests per day' }],
      },
      [xs, days.map((d) => d.requests), days.map((d) => d.errors), days.map((d) => d.rateLimited)],
      el,
    );
    return () => plot.destroy();
  }, [days]);
  return (
    <>
      <div ref={box} class="chart" role="img" aria-label={`Chart of requests, errors and rate-limited requests per day, ${days[0]?.day ?? ''} to ${days[days.length - 1]?.day ?? ''}; the numbers are in the table below.`} />
      <details>
        <summary>Numbers per day</summary>
        <table>
          <caption class="sr-only">Requests per day</caption>
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              <th scope="col">Requests</th>
              <th scope="col">Errors</th>
              <th scope="col">Rate-limited</th>
              <th scope="col">p95 latency</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <td>{d.day}</td>
                <td>{d.requests}</td>
                <td>{d.errors}</td>
                <td>{d.rateLimited}</td>
                <td>{d.p95LatencyMs === null ? '—' : `${d.p95LatencyMs} ms`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}
