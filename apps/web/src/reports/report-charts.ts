import type { ReportResult, Row } from '../api/types';
import type { ChartOption } from '../components/Chart';
import { formatNumber } from '../format';

// One chart per figure, as the reference documents draw them; anything else gets lines (with a period) or bars.

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0)) || 0;
const valueFormatter = (v: unknown) => formatNumber(num(v));

const TOUCH_BUCKETS = ['none', ...Array.from({ length: 9 }, (_, i) => `received_${i + 1}`), 'received_10_or_more'];
const TOUCH_LABELS = ['none', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10+'];

export function chartFor(result: ReportResult): ChartOption | null {
  if (result.rows.length === 0) return null;
  const names = result.columns.map((c) => c.name);
  if (result.report === 'campaign-performance' && !names.includes('period') && names.includes('sent')) {
    return funnel(result.rows);
  }
  if (result.report === 'customer-touch') return touchHistogram(result.rows);
  if (result.report === 'cohorts') return cohortTriangle(result.rows);
  if (names.includes('period')) return linesOverTime(result);
  return bars(result);
}

/** sent → viewed → clicked → goal, summed over the campaigns in the table. */
function funnel(rows: Row[]): ChartOption {
  const steps = ['sent', 'viewed', 'clicked', 'goal'];
  const data = steps.map((s) => ({ name: s, value: rows.reduce((sum, r) => sum + num(r[s]), 0) }));
  return {
    tooltip: { trigger: 'item', valueFormatter },
    series: [
      {
        type: 'funnel',
        sort: 'none',
        minSize: '8%',
        left: '10%',
        width: '80%',
        // Inside the bars: outside labels are cut off at phone width.
        label: {
          show: true,
          position: 'inside',
          color: '#fff',
          formatter: (p) => `${p.name}: ${formatNumber(num(p.value))}`,
        },
        data,
      },
    ],
  };
}

function touchHistogram(rows: Row[]): ChartOption {
  return {
    tooltip: { trigger: 'axis', valueFormatter },
    legend: { top: 0 },
    grid: { left: 50, right: 16, bottom: 40, top: 56 },
    xAxis: {
      type: 'category',
      data: TOUCH_LABELS,
      name: 'notifications received',
      nameLocation: 'middle',
      nameGap: 28,
    },
    yAxis: { type: 'value', name: 'contacts' },
    series: rows.map((r) => ({
      type: 'bar',
      name: String(r.segment),
      data: TOUCH_BUCKETS.map((b) => num(r[b])),
    })),
  };
}

/** Cohort × periods since: the share still active, as a triangle. */
function cohortTriangle(rows: Row[]): ChartOption {
  const cohorts = [...new Set(rows.map((r) => String(r.cohort)))].sort();
  const maxSince = Math.max(...rows.map((r) => num(r.periods_since)));
  const since = Array.from({ length: maxSince + 1 }, (_, i) => String(i));
  const data = rows.map((r) => [
    num(r.periods_since),
    cohorts.indexOf(String(r.cohort)),
    Math.round(num(r.share) * 1000) / 10,
  ]);
  return {
    tooltip: { formatter: (p) => `${(p as { value: number[] }).value[2]} % active` },
    grid: { left: 90, right: 16, bottom: 90, top: 16 },
    xAxis: { type: 'category', data: since, name: 'periods since', nameLocation: 'middle', nameGap: 24 },
    yAxis: { type: 'category', data: cohorts, inverse: true },
    visualMap: { min: 0, max: 100, calculable: true, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120 },
    series: [{ type: 'heatmap', data, label: { show: true, formatter: (p) => `${(p.value as number[])[2]}%` } }],
  };
}

/**
 * Over time: with several groups (platform, channel, campaign, newsgroup …) one line per group of
 * the first count; with one group, one line per count (sent, viewed, clicked, goal …). A legend
 * click hides or shows a line.
 */
function linesOverTime(result: ReportResult): ChartOption {
  const counts = result.columns.filter((c) => c.type === 'integer' || c.type === 'number');
  const groupColumn = result.columns.find((c) => c.type === 'string' && c.name !== 'period' && c.name !== 'kind');
  const periods = [...new Set(result.rows.map((r) => String(r.period)))].sort();
  const groups = groupColumn ? [...new Set(result.rows.map((r) => String(r[groupColumn.name])))] : [];
  const line = (name: string, column: string, rows: Row[]) => {
    const byPeriod = new Map<string, number>();
    for (const r of rows) byPeriod.set(String(r.period), (byPeriod.get(String(r.period)) ?? 0) + num(r[column]));
    return { type: 'line' as const, name, data: periods.map((p) => byPeriod.get(p) ?? 0) };
  };
  const perGroup = groups.length > 1;
  const series = perGroup
    ? groups.slice(0, 20).map((g) =>
        line(
          g === '' ? '(none)' : g,
          counts[0]?.name ?? '',
          result.rows.filter((r) => String(r[groupColumn!.name]) === g),
        ),
      )
    : counts.slice(0, 5).map((c) => line(c.name, c.name, result.rows));
  return {
    tooltip: { trigger: 'axis', valueFormatter },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 50, right: 16, bottom: 30, top: 56 },
    xAxis: { type: 'category', data: periods },
    yAxis: { type: 'value', name: perGroup ? counts[0]?.name : undefined },
    series,
  };
}

/** Counts per row label (school, group, or the one total row). */
function bars(result: ReportResult): ChartOption {
  const label = result.columns.find((c) => c.type === 'string');
  const counts = result.columns.filter((c) => c.type === 'integer').slice(0, 6);
  return {
    tooltip: { trigger: 'axis', valueFormatter },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 50, right: 16, bottom: 30, top: 56 },
    xAxis: { type: 'category', data: result.rows.map((r, i) => (label ? String(r[label.name]) : `row ${i + 1}`)) },
    yAxis: { type: 'value' },
    series: counts.map((c) => ({ type: 'bar', name: c.name, data: result.rows.map((r) => num(r[c.name])) })),
  };
}
