import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { EXPORT_FORMATS, ExportJobsService, type ExportFormat } from '@tallyhouse/exports';
import { ReportParamError, UnknownReportError } from '@tallyhouse/reports';
import { actorName } from '@tallyhouse/auth';
import { authorize, cliPrincipal } from './auth-commands';
import { out, UsageError, withContext } from './context';
import { CliExportModule } from './modules';
import { fmt, progressBar } from './progress';

export interface ExportOptions {
  format: string;
  out?: string;
  reason?: string;
  password?: string;
  key?: string;
}

/**
 * `export REPORT --tenant T --from D --to D --format xlsx --out FILE --reason WHY [--password P]`:
 * the same file as POST /v1/exports, written to FILE with a progress bar, and
 * recorded in the export audit trail as done by the CLI's user.
 */
export async function exportCommand(name: string, opts: ExportOptions, rawArgs: string[]): Promise<number> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) {
    throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
  }
  const format = opts.format as ExportFormat;
  if (!opts.out) throw new UsageError('--out FILE is required');
  if (!opts.reason || opts.reason.trim().length < 3)
    throw new UsageError('--reason is required: say why the data is exported');
  const params = reportParams(rawArgs);
  const path = resolve(opts.out);
  return withContext(CliExportModule, async (app) => {
    const who = await cliPrincipal(app, opts.key);
    const tenant = authorize(who, ['manager'], params.tenant, 'export');
    if (tenant !== undefined) params.tenant = tenant;
    const actor = who.prefix === 'local' ? `cli:${userInfo().username}` : `cli:${actorName(who)}`;
    const bar = progressBar(`export ${name}`, 'rows');
    bar.start(100, 0, { done: '0', rate: '0' });
    const started = Date.now();
    try {
      const made = await app
        .get(ExportJobsService)
        .writeFile(
          { report: name, params, format, reason: opts.reason!, password: opts.password },
          { actor, clientAddress: 'localhost' },
          path,
          (p) =>
            bar.update(p.fraction === null ? 0 : Math.floor(p.fraction * 100), {
              done: fmt(p.rows),
              rate: fmt(p.rows / Math.max(0.001, (Date.now() - started) / 1000)),
            }),
        );
      bar.update(100);
      bar.stop();
      out(`${fmt(made.rows)} rows → ${path} (${fmt(made.bytes)} bytes${opts.password ? ', encrypted' : ''})`);
      out(`sha256 ${made.sha256}`);
      return 0;
    } catch (err) {
      bar.stop();
      if (err instanceof UnknownReportError)
        throw new UsageError(err.message.replace('GET /v1/reports', '`report list`'));
      if (err instanceof ReportParamError) throw new UsageError(`--${err.field}: ${err.message}`);
      throw err;
    }
  });
}

/** The report's `--param value` pairs (the export's own options are taken by commander). */
function reportParams(args: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z_]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) throw new UsageError(`expected --name value, got "${args[i]}"`);
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    params[m[1]] = value;
  }
  return params;
}
