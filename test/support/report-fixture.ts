import { RollupJob } from '@tallyhouse/rollups';
import { ReportService } from '@tallyhouse/reports';
import { startTestWarehouse, type TestWarehouse } from './warehouse-app';

/** A small seeded random generator: the same seed, the same data set, every run. */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

interface Dated {
  tenant_id: string;
  occurred_at: string;
}

/** Every tenth event arrives late: after every report was read once and the summaries were built. */
const LATE_EVERY = 10;

/**
 * A warehouse for one test file with `events` sent through POST /v1/events
 * (all accepted) before the tests run; closed after them.
 *
 * The events arrive in two parts. The first nine in ten go in; then every
 * report is run once over the whole range for each tenant and the daily and
 * monthly summaries are built, as a dashboard and the scheduler would; then
 * the rest arrive, spread over days already read and built. The tests
 * compare with a computation over all events, so a report that served stale
 * figures after late events fails them. The summaries are built in the
 * tenants' `homeZone`: reports asked in that zone read them where current.
 */
export function loadedWarehouse(
  events: readonly Dated[],
  { homeZone = 'UTC' }: { homeZone?: string } = {},
): { readonly wh: TestWarehouse } {
  const holder = {} as { wh: TestWarehouse };
  beforeAll(async () => {
    holder.wh = await startTestWarehouse();
    const tenants = [...new Set(events.map((e) => e.tenant_id))];
    await holder.wh.ch.insertRows(
      'tenants',
      tenants.map((tenant_id) => ({ tenant_id, name: tenant_id, time_zone: homeZone })),
      { tag: 'test:tenants' },
    );
    const onTime = events.filter((_, i) => i % LATE_EVERY !== LATE_EVERY - 1);
    const late = events.filter((_, i) => i % LATE_EVERY === LATE_EVERY - 1);
    await send(holder.wh, onTime);
    await readEveryReport(holder.wh, events);
    await holder.wh.app.get(RollupJob).runRange();
    await send(holder.wh, late);
  }, 120_000);
  afterAll(async () => holder.wh?.close());
  return holder;
}

async function send(wh: TestWarehouse, events: readonly object[]): Promise<void> {
  if (events.length === 0) return;
  const res = await wh.http().post('/v1/events').send(events);
  expect(res.body).toMatchObject({ accepted: events.length, rejected: 0 });
}

/** Runs every report for each tenant over the days the events span (UTC dates, a day of margin each side). */
async function readEveryReport(wh: TestWarehouse, events: readonly Dated[]): Promise<void> {
  const times = events.map((e) => Date.parse(e.occurred_at));
  const from = new Date(Math.min(...times) - 86_400_000).toISOString().slice(0, 10);
  const to = new Date(Math.max(...times) + 2 * 86_400_000).toISOString().slice(0, 10);
  const reports = wh.app.get(ReportService);
  for (const tenant of new Set(events.map((e) => e.tenant_id))) {
    for (const def of reports.list()) {
      const result = await reports.run(def.name, { tenant, from, to });
      expect(result.report).toBe(def.name);
    }
  }
}
