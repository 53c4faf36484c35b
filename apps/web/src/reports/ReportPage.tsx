import { useEffect } from 'react';
import { getJson } from '../api/client';
import type { ReportInfo, ReportResult } from '../api/types';
import { Chart } from '../components/Chart';
import { DataTable, type CellLink } from '../components/DataTable';
import { Empty, ErrorNote, Loading } from '../components/States';
import { formatInstant } from '../format';
import { replaceQuery, routeHref, type Route } from '../route';
import { useAsync } from '../useAsync';
import { presetRange, todayIn, type DatePreset } from './date-presets';
import { ExportPanel } from './ExportPanel';
import type { ReportFamily } from './families';
import { chartFor } from './report-charts';
import { ReportFilters, type FilterValues } from './ReportFilters';

interface Props {
  family: ReportFamily;
  catalog: ReportInfo[];
  route: Route;
  /** The tenant to send (admins pick one, '' until they do); null when the key decides. */
  tenant: string | null;
  tenantZone: string;
  /** Told the zone a report ran in when no tz was asked for: the tenant's own. */
  onTenantZone: (zone: string) => void;
}

/** A report family: which report, its filters (kept in the URL), the chart, the table, the downloads. */
export function ReportPage({ family, catalog, route, tenant, tenantZone, onTenantZone }: Props) {
  const reports = family.reports.map((n) => catalog.find((r) => r.name === n)).filter((r) => r !== undefined);
  const info = reports.find((r) => r.name === route.query.get('report')) ?? reports[0];
  const values = filterValues(route, route.query.get('tz') || tenantZone, family.defaults);
  const params: Record<string, string> = {};
  if (tenant) params.tenant = tenant;
  for (const param of info?.parameters ?? []) {
    const v = values[param.name];
    if (v && param.name !== 'tenant') params[param.name] = v;
  }
  const key = JSON.stringify([info?.name, params]);
  const [result] = useAsync(() => getJson<ReportResult>(`/v1/reports/${info!.name}`, params), key);
  const answeredZone = result.status === 'ok' && !params.tz ? result.value.time_zone : '';
  useEffect(() => {
    if (answeredZone) onTenantZone(answeredZone);
  }, [answeredZone, onTenantZone]);

  if (!info) return <ErrorNote error={new Error(`the server has none of the reports ${family.reports.join(', ')}`)} />;

  const change = (name: string, value: string) => {
    const next: Record<string, string> = Object.fromEntries(route.query);
    next[name] = value;
    if (name === 'from' || name === 'to') next.range = 'custom';
    if (name === 'range' && value !== 'custom') {
      delete next.from;
      delete next.to;
    }
    if (name === 'report')
      for (const k of Object.keys(next)) if (!['report', 'tenant', 'range'].includes(k)) delete next[k];
    replaceQuery(route.path, next);
  };

  const zone = result.status === 'ok' ? result.value.time_zone : tenantZone;
  return (
    <article className="report-page">
      <header>
        <h1>{family.title}</h1>
        {reports.length > 1 && (
          <label className="report-picker">
            <span>Report</span>
            <select name="report" value={info.name} onChange={(e) => change('report', e.target.value)}>
              {reports.map((r) => (
                <option key={r.name} value={r.name}>
                  {r.title}
                </option>
              ))}
            </select>
          </label>
        )}
        <details>
          <summary>What the numbers mean</summary>
          <p>{info.description}</p>
        </details>
      </header>
      {tenant === '' && <Empty>Pick a tenant above.</Empty>}
      <ReportFilters parameters={info.parameters} values={values} zone={zone} onChange={change} />
      <ReportBody result={result} link={drillDownLink(family, info.name, route)} />
      <ExportPanel report={info.name} params={params} />
    </article>
  );
}

function ReportBody({ result, link }: { result: ReturnType<typeof useAsync<ReportResult>>[0]; link?: CellLink }) {
  if (result.status === 'loading' && !result.previous) return <Loading what="the report" />;
  if (result.status === 'error') return <ErrorNote error={result.error} />;
  const r = result.status === 'ok' ? result.value : result.previous!;
  const updating = result.status === 'loading';
  const option = chartFor(r);
  return (
    <section className="report-body" aria-label="Report" aria-busy={updating} data-testid="report-body">
      {updating && <Loading what="the new figures" />}
      <p className="hint">
        {r.title} · {r.time_zone} · {formatInstant(r.from, r.time_zone)} – {formatInstant(r.to, r.time_zone)} (to
        exclusive)
      </p>
      {r.rows.length === 0 ? (
        <Empty>No data for these filters.</Empty>
      ) : (
        <>
          {option && <Chart option={option} label={`${r.title} chart`} />}
          <DataTable
            columns={r.columns}
            rows={r.rows}
            caption={r.title}
            link={r.columns.some((c) => c.name === 'period') ? undefined : link}
          />
        </>
      )}
    </section>
  );
}

/** The link from a summary row to its closer view, keeping the other filters. */
function drillDownLink(family: ReportFamily, report: string, route: Route): CellLink | undefined {
  const drill = family.drillDown;
  if (!drill || drill.report !== report) return undefined;
  return {
    column: drill.column,
    href: (row) => routeHref(route.path, { ...Object.fromEntries(route.query), ...drill.params(row) }),
  };
}

/** The filters as the URL has them; a preset (default: last 30 days) fills in from and to. */
function filterValues(route: Route, zone: string, defaults: Record<string, string> = {}): FilterValues {
  const q = { ...defaults, ...Object.fromEntries(route.query) };
  const range = (q.range as DatePreset | undefined) ?? (q.from || q.to ? 'custom' : 'last_30_days');
  const dates = range === 'custom' ? { from: q.from ?? '', to: q.to ?? '' } : presetRange(range, todayIn(zone));
  return { ...q, range, ...dates };
}
