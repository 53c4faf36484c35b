import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { ReportParamError, UnknownReportError } from '@tallyhouse/reports';
import { CreateScheduleDto, SchedulesService, type DeliveryTarget } from '@tallyhouse/schedule';
import { authorize, cliPrincipal } from './auth-commands';
import { out, UsageError, withContext } from './context';
import { CliScheduleModule } from './modules';

export interface ScheduleAddOptions {
  name?: string;
  report?: string;
  range?: string;
  cron?: string;
  tz?: string;
  format?: string;
  folder?: string;
  email?: string;
  webhook?: string;
  webhookSecret?: string;
  owner?: string;
  param?: string[];
  key?: string;
}

/** `schedule list [--tenant T]`: every schedule with its next run. */
export async function scheduleListCommand(opts: { tenant?: string; key?: string }): Promise<number> {
  return withContext(CliScheduleModule, async (app) => {
    const who = await cliPrincipal(app, opts.key);
    // A tenant key lists its own tenant; the owner and admin keys every tenant unless --tenant.
    const tenant =
      who.tenant === null ? (opts.tenant ?? null) : authorize(who, ['manager'], opts.tenant, 'list schedules');
    const schedules = await app.get(SchedulesService).list(tenant ?? null);
    for (const s of schedules) {
      out(
        `${s.id}  ${s.tenant}  ${s.name}  ${s.report} ${s.range}  "${s.cron}" ${s.time_zone}  next ${s.next_run_at ?? '-'}`,
      );
    }
    out(`${schedules.length} schedules`);
    return 0;
  });
}

/** `schedule add --name N --report R --param tenant=T --range last_full_month --cron "0 6 1 * *" --email a@x ...` */
export async function scheduleAddCommand(opts: ScheduleAddOptions): Promise<number> {
  const targets: DeliveryTarget[] = [];
  if (opts.folder) targets.push({ type: 'folder', path: opts.folder });
  if (opts.email) targets.push({ type: 'email', to: opts.email.split(',').map((a) => a.trim()) });
  if (opts.webhook) {
    targets.push({ type: 'webhook', url: opts.webhook, ...(opts.webhookSecret ? { secret: opts.webhookSecret } : {}) });
  }
  const params: Record<string, string> = {};
  for (const p of opts.param ?? []) {
    const eq = p.indexOf('=');
    if (eq < 1) throw new UsageError(`--param takes name=value, got "${p}"`);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const dto = plainToInstance(
    CreateScheduleDto,
    {
      name: opts.name,
      report: opts.report,
      params,
      range: opts.range,
      cron: opts.cron,
      time_zone: opts.tz,
      format: opts.format ?? 'xlsx',
      targets,
      owner_email: opts.owner,
    },
    { exposeDefaultValues: true },
  );
  const errors = await validate(dto, { whitelist: true });
  if (errors.length > 0) {
    const e = errors[0];
    throw new UsageError(`--${e.property.replace('_', '-')}: ${Object.values(e.constraints ?? {})[0]}`);
  }
  return withContext(CliScheduleModule, async (app) => {
    const who = await cliPrincipal(app, opts.key);
    const tenant = authorize(who, ['manager'], dto.params.tenant, 'add schedules');
    if (tenant !== undefined) dto.params.tenant = tenant;
    try {
      const s = await app.get(SchedulesService).create(dto);
      out(`schedule ${s.id} created; next run ${s.next_run_at}`);
      return 0;
    } catch (err) {
      if (err instanceof ReportParamError) throw new UsageError(`${err.field}: ${err.message}`);
      if (err instanceof UnknownReportError)
        throw new UsageError(err.message.replace('GET /v1/reports', '`report list`'));
      throw err;
    }
  });
}

/** `schedule run ID`: runs it now and prints each target's outcome; exit 1 when the run failed. */
export async function scheduleRunCommand(id: string, opts: { key?: string } = {}): Promise<number> {
  return withContext(CliScheduleModule, async (app) => {
    const who = await cliPrincipal(app, opts.key);
    const schedules = app.get(SchedulesService);
    if (who.prefix !== 'local') authorize(who, ['manager'], (await schedules.get(id)).tenant, 'run schedules');
    const run = await schedules.runNow(id);
    out(`run ${run.id}: ${run.status}, ${run.rows} rows, ${run.from} – ${run.to}`);
    for (const t of run.targets)
      out(`  ${t.ok ? 'ok    ' : 'FAILED'} ${t.target} (${t.attempts} attempts)${t.error ? `: ${t.error}` : ''}`);
    return run.status === 'delivered' ? 0 : 1;
  });
}
