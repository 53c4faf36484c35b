import { randomUUID } from 'node:crypto';
import { ReportService } from '@tallyhouse/reports';
import { localMidnight, localParts, localPeriod } from './support/local-time';
import { loadedWarehouse, seeded } from './support/report-fixture';
import { bothPathsAgree } from './support/report-paths';

/** The district reports against plain TypeScript computations over the generated events. */
interface Ev {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
  contact_id?: string;
  channel?: string;
  org_unit?: string;
  group_id?: string;
  message_id?: string;
}

const TENANT = 'district-test';
const TZ = 'America/New_York';
const SCHOOLS = ['adams', 'lincoln', 'district-office'];
const GROUPS = ['athletics', 'band', 'pta'];
const DAY = 86_400_000;

function generate(): Ev[] {
  const rnd = seeded(17);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const events: Ev[] = [];
  const ev = (ms: number, type: string, fields: Partial<Ev>): Ev => ({
    event_id: randomUUID(),
    tenant_id: TENANT,
    occurred_at: new Date(ms).toISOString(),
    type,
    ...fields,
  });
  const start = Date.UTC(2025, 5, 1); // June 2025 - November 2026: two school years
  const span = 530 * DAY;
  for (let u = 0; u < 500; u++) {
    const contact = `s${u}`;
    const school = pick(SCHOOLS);
    const registered = start + Math.floor(rnd() * span);
    events.push(ev(registered, 'user.registered', { contact_id: contact, org_unit: school, channel: 'web' }));
    for (let i = Math.floor(rnd() * 6); i > 0; i--) {
      events.push(
        ev(registered + Math.floor(rnd() * 60 * DAY), 'user.login', {
          contact_id: contact,
          org_unit: school,
          channel: 'web',
        }),
      );
    }
    // Newsgroups: subscribe, sometimes unsubscribe later, sometimes subscribe again.
    for (const group of GROUPS) {
      if (rnd() < 0.5) continue;
      let t = registered + Math.floor(rnd() * 30 * DAY);
      events.push(ev(t, 'group.subscribed', { contact_id: contact, group_id: group, channel: 'web' }));
      if (rnd() < 0.3) {
        t += Math.floor(rnd() * 90 * DAY);
        events.push(ev(t, 'group.unsubscribed', { contact_id: contact, group_id: group, channel: 'web' }));
        if (rnd() < 0.3)
          events.push(
            ev(t + Math.floor(rnd() * 40 * DAY), 'group.subscribed', {
              contact_id: contact,
              group_id: group,
              channel: 'web',
            }),
          );
      }
    }
  }
  // Notices: published by a school, emailed to some users, opened by some, inactivated by a few.
  for (let n = 0; n < 40; n++) {
    const school = pick(SCHOOLS);
    const notice = `notice-${n}`;
    const t = Date.UTC(2026, 8, 1) + Math.floor(rnd() * 80 * DAY);
    events.push(ev(t, 'notice.published', { org_unit: school, message_id: notice, channel: 'web' }));
    for (let u = 0; u < 500; u++) {
      if (rnd() < 0.85) continue;
      const fields = { contact_id: `s${u}`, org_unit: school, message_id: notice, channel: 'email' };
      events.push(ev(t + 1000, 'message.sent', fields));
      if (rnd() < 0.45) events.push(ev(t + Math.floor(rnd() * 3 * DAY), 'message.viewed', fields));
      if (rnd() < 0.03) events.push(ev(t + Math.floor(rnd() * 3 * DAY), 'message.unsubscribed', fields));
    }
  }
  // Nothing in the future (the contract refuses it).
  return events.filter((e) => Date.parse(e.occurred_at) < Date.UTC(2026, 10, 20));
}

const events = generate();
const ctx = loadedWarehouse(events, { homeZone: TZ });
const at = (e: Ev) => Date.parse(e.occurred_at);
const run = (name: string, q: Record<string, string>) =>
  // Every figure from the summaries and from the fine rollups alike (they must agree).
  bothPathsAgree(ctx.wh, () => ctx.wh.app.get(ReportService).run(name, { tenant: TENANT, tz: TZ, ...q }));

function distinctBy(evs: Ev[], key: (e: Ev) => string) {
  const m = new Map<string, Set<string>>();
  for (const e of evs) m.set(key(e), (m.get(key(e)) ?? new Set()).add(e.contact_id!));
  return m;
}

describe('district reports', () => {
  it('new users per school year (starting August, and starting September) and per month by school', async () => {
    const lo = localMidnight('2025-06-01', TZ);
    const hi = localMidnight('2026-12-01', TZ);
    const regs = events.filter((e) => e.type === 'user.registered' && at(e) >= lo && at(e) < hi);
    for (const start of [8, 9]) {
      const year = (e: Ev) => {
        const p = localParts(at(e), TZ);
        const y = p.month >= start ? p.year : p.year - 1;
        return `${y}-${String(y + 1).slice(2)}`;
      };
      const want = [...distinctBy(regs, year).entries()].sort().map(([period, s]) => ({ period, new_users: s.size }));
      const got = await run('district-new-users', {
        from: '2025-06-01',
        to: '2026-12-01',
        per: 'school_year',
        school_year_start: String(start),
      });
      expect(got.rows).toEqual(want);
    }
    const byMonth = distinctBy(regs, (e) => `${localPeriod(at(e), TZ, 'month')}|${e.org_unit}`);
    const want = [...byMonth.entries()]
      .sort()
      .map(([k, s]) => ({ period: k.split('|')[0], org_unit: k.split('|')[1], new_users: s.size }));
    const got = await run('district-new-users', {
      from: '2025-06-01',
      to: '2026-12-01',
      interval: 'month',
      group_by: 'org_unit',
    });
    expect(got.rows).toEqual(want);
  });

  it('sign-ins: distinct users and sign-ins per month', async () => {
    const lo = localMidnight('2026-01-01', TZ);
    const hi = localMidnight('2026-07-01', TZ);
    const logins = events.filter((e) => e.type === 'user.login' && at(e) >= lo && at(e) < hi);
    const users = distinctBy(logins, (e) => localPeriod(at(e), TZ, 'month'));
    const want = [...users.entries()].sort().map(([period, s]) => ({
      period,
      users: s.size,
      sign_ins: logins.filter((e) => localPeriod(at(e), TZ, 'month') === period).length,
    }));
    const got = await run('district-sign-ins', { from: '2026-01-01', to: '2026-07-01', interval: 'month' });
    expect(got.rows).toEqual(want);
  });

  it('newsgroups: subscribed, unsubscribed and subscribers at the end of each month', async () => {
    const from = '2026-01-01';
    const to = '2026-06-15';
    const lo = localMidnight(from, TZ);
    const hi = localMidnight(to, TZ);
    const subs = events.filter((e) => e.type === 'group.subscribed' || e.type === 'group.unsubscribed');
    const inRange = subs.filter((e) => at(e) >= lo && at(e) < hi);
    const keys = [...new Set(inRange.map((e) => `${e.group_id}|${localPeriod(at(e), TZ, 'month')}`))].sort();
    const want = keys.map((k) => {
      const [group, period] = k.split('|');
      const [y, m] = period.split('-').map(Number);
      const next = `${m === 12 ? y + 1 : y}-${String(m === 12 ? 1 : m + 1).padStart(2, '0')}-01`;
      const end = Math.min(hi, localMidnight(next, TZ));
      const ofMonth = inRange.filter((e) => e.group_id === group && localPeriod(at(e), TZ, 'month') === period);
      const last = new Map<string, Ev>();
      for (const e of subs.filter((x) => x.group_id === group && at(x) < end).sort((a, b) => at(a) - at(b)))
        last.set(e.contact_id!, e);
      return {
        group_id: group,
        period,
        subscribed: new Set(ofMonth.filter((e) => e.type === 'group.subscribed').map((e) => e.contact_id)).size,
        unsubscribed: new Set(ofMonth.filter((e) => e.type === 'group.unsubscribed').map((e) => e.contact_id)).size,
        subscribers_at_end: [...last.values()].filter((e) => e.type === 'group.subscribed').length,
      };
    });
    const got = await run('district-newsgroups', { from, to, interval: 'month' });
    expect(got.rows).toEqual(want);
    const bad = await ctx.wh
      .http()
      .get(`/v1/reports/district-newsgroups?tenant=${TENANT}&from=${from}&to=${to}&interval=hour`);
    expect({ status: bad.status, field: bad.body.field }).toEqual({ status: 400, field: 'interval' });
  });

  it('publishing results per school and per notice, with open and inactivate rates of emails sent', async () => {
    const lo = localMidnight('2026-09-01', TZ);
    const hi = localMidnight('2026-12-01', TZ);
    const evs = events.filter((e) => e.org_unit && at(e) >= lo && at(e) < hi);
    for (const per of ['org_unit', 'message'] as const) {
      const key = (e: Ev) => (per === 'message' ? `${e.org_unit}|${e.message_id}` : e.org_unit!);
      const want = [...new Set(evs.filter((e) => e.message_id).map(key))].sort().map((k) => {
        const mine = evs.filter((e) => key(e) === k);
        // Distinct users per notice, summed over the school's notices.
        const perNotice = (type: string, channel?: string) =>
          [...new Set(mine.map((e) => e.message_id))].reduce(
            (s, n) =>
              s +
              new Set(
                mine
                  .filter((e) => e.message_id === n && e.type === type && (!channel || e.channel === channel))
                  .map((e) => e.contact_id),
              ).size,
            0,
          );
        const sent = perNotice('message.sent', 'email');
        const opened = perNotice('message.viewed', 'email');
        const inactivated = perNotice('message.unsubscribed');
        const r = (x: number) => (sent ? Math.round((x / sent) * 10_000) / 10_000 : 0);
        return {
          org_unit: k.split('|')[0],
          ...(per === 'message' ? { message_id: k.split('|')[1] } : {}),
          notices: mine.filter((e) => e.type === 'notice.published').length,
          emails_sent: sent,
          emails_opened: opened,
          opened_rate: r(opened),
          inactivated,
          inactivated_rate: r(inactivated),
        };
      });
      const got = await run('district-publishing', { from: '2026-09-01', to: '2026-12-01', per });
      expect(got.rows).toEqual(want);
    }
  });
});
