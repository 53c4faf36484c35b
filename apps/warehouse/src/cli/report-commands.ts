import { REPORTS, ReportParamError, ReportService, toCsv, UnknownReportError } from '@tallyhouse/reports';
import { REPORT_READERS } from '@tallyhouse/auth';
import { authorize, cliPrincipal } from './auth-commands';
import { out, UsageError, withContext } from './context';
import { CliReportModule } from './modules';

/**
 * `report NAME --param value ...`: the same definitions, parameters and
 * checks as GET /v1/reports/NAME, printed as a table (or --csv, --json).
 */
export async function reportCommand(name: string | undefined, rawArgs: string[]): Promise<number> {
  if (!name || name === 'list') {
    for (const r of REPORTS)
      out(`${r.name.padEnd(22)} ${r.title}${r.groupBy.length ? ` (group_by: ${r.groupBy.join(', ')})` : ''}`);
    return 0;
  }
  const { params, format } = parseParams(rawArgs);
  const { key, ...reportParams } = params;
  return withContext(CliReportModule, async (app) => {
    const who = await cliPrincipal(app, key);
    const tenant = authorize(who, REPORT_READERS, reportParams.tenant, 'run reports');
    if (tenant !== undefined) reportParams.tenant = tenant;
    try {
      const result = await app.get(ReportService).run(name, reportParams);
      if (format === 'json') out(JSON.stringify(result, null, 2));
      else if (format === 'csv') process.stdout.write(toCsv(result.columns, result.rows));
      else {
        out(`${result.title} · ${result.time_zone} · ${result.from} – ${result.to} (to exclusive)`);
        out(
          table(
            result.columns.map((c) => c.name),
            result.rows.map((r) => result.columns.map((c) => fmt(r[c.name]))),
          ),
        );
        out(`${result.rows.length} rows`);
      }
      return 0;
    } catch (err) {
      if (err instanceof UnknownReportError)
        throw new UsageError(err.message.replace('GET /v1/reports', '`report list`'));
      if (err instanceof ReportParamError) throw new UsageError(`--${err.field}: ${err.message}`);
      throw err;
    }
  });
}

/** `--key value` and `--key=value` pairs; --csv and --json pick the output. */
function parseParams(args: string[]): { params: Record<string, string>; format: 'table' | 'csv' | 'json' } {
  const params: Record<string, string> = {};
  let format: 'table' | 'csv' | 'json' = 'table';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--csv' || arg === '--json') {
      format = arg === '--csv' ? 'csv' : 'json';
      continue;
    }
    const m = /^--([a-z_]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`expected --name value, got "${arg}"`);
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    params[m[1]] = value;
  }
  return { params, format };
}

function fmt(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 4 }) : v;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => /^-?[\d,.]*%?$/.test(r[c])));
  const line = (r: string[]) =>
    r.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
