import type { EventType } from '@tallyhouse/events';
import { Prng } from './prng';
import {
  BRAND,
  BRAND_CAMPAIGNS,
  DEMO_TENANTS,
  DISTRICT,
  type DemoTenant,
  INTERFACES,
  KATHMANDU,
  NEWSGROUPS,
  PUSH_CAMPAIGNS,
  SCHOOLS,
} from './tenants';

/** One generated event, in the shape producers send (fields that do not apply are absent). */
export interface DemoEvent {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: EventType;
  contact_id?: string;
  campaign_id?: string;
  message_id?: string;
  channel?: string;
  platform?: string;
  org_unit?: string;
  group_id?: string;
  conversation_id?: string;
  agent_id?: string;
  value?: number;
  properties?: Record<string, string | number | boolean>;
}

export interface DemoOptions {
  /** Exactly this many events are produced. */
  events: number;
  seed?: number;
  /** The last instant of the data set; no event is later. Default: the current time. */
  now?: Date;
  /** Days of history before `now` (default 92). */
  days?: number;
}

export const DEFAULT_DEMO_SEED = 20_240_901;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Fields = Omit<DemoEvent, 'event_id' | 'tenant_id' | 'occurred_at' | 'type'>;

interface Step {
  t: number;
  type: EventType;
  contact?: string;
  extra?: Fields;
}

interface Story {
  tenant: string;
  base: Fields;
  steps: Step[];
}

const EMPTY: Step[] = [];

interface Planner {
  tenant: DemoTenant;
  /** Relative activity at a UTC instant (evaluated once per hour). */
  intensity(localHour: number, weekday: number, month: number): number;
  plan(t: number, rng: Prng, state: TenantState): Story;
}

interface TenantState {
  budget: number;
  committed: number;
  /** Position in "virtual time" [0, 1]: the activity-weighted share of the period passed. */
  u: number;
  pool: number;
  nextNewContact: number;
  nextId: number;
  warp: (u: number) => number;
  planner: Planner;
}

interface Entry {
  t: number;
  seq: number;
  story?: Story;
  step?: Step;
  tenant?: TenantState;
}

/**
 * The demo data set: three tenants (a school district in New York, a fashion
 * brand in Berlin, a mobile operator in Kathmandu), generated lazily in time
 * order. Each "story" (a notice and its emails, a campaign send and each
 * recipient's delivered/viewed/clicked/goal/purchase, a conversation) is
 * planned when it starts and its events wait in a heap until their time, so
 * memory holds only the stories still in flight. Same seed and `now`, same
 * events, event_ids included.
 */
export function* generateDemoEvents(options: DemoOptions): Generator<DemoEvent> {
  const total = Math.max(0, Math.floor(options.events));
  if (total === 0) return;
  const seed = (options.seed ?? DEFAULT_DEMO_SEED) >>> 0;
  const now = Math.floor((options.now ?? new Date()).getTime());
  const days = options.days ?? 92;
  const start = now - days * DAY;
  const rng = new Prng(seed);
  const ids = new Prng(seed ^ 0x9e3779b9);
  const heap = new CalendarQueue(start, now);
  let seq = 0;

  const planners = [districtPlanner(), brandPlanner(), kathmanduPlanner()];
  let assigned = 0;
  planners.forEach((planner, i) => {
    const budget = i === planners.length - 1 ? total - assigned : Math.round(total * planner.tenant.share);
    assigned += budget;
    if (budget <= 0) return;
    const state: TenantState = {
      budget,
      committed: 0,
      u: 0,
      pool: Math.max(200, Math.ceil(budget / 25)),
      nextNewContact: 0,
      nextId: 0,
      warp: timeWarp(planner, start, now),
      planner,
    };
    state.nextNewContact = state.pool;
    heap.push({ t: start, seq: seq++, tenant: state });
  });

  while (heap.size > 0) {
    const entry = heap.pop()!;
    if (entry.tenant) {
      const state = entry.tenant;
      const story = state.planner.plan(entry.t, rng, state);
      story.steps.sort((a, b) => a.t - b.t);
      let n = story.steps.length;
      while (n > 0 && story.steps[n - 1].t > now) n--;
      const remaining = state.budget - state.committed;
      if (n > remaining) n = remaining;
      story.steps.length = n;
      if (n > 0) {
        state.committed += n;
        // Each event waits in the heap on its own, so a story's memory goes as its events go out.
        for (let i = 0; i < n; i++) heap.push({ t: story.steps[i].t, seq: seq++, story, step: story.steps[i] });
        story.steps = EMPTY;
      }
      if (state.committed < state.budget) {
        // Spend virtual time in proportion to the events this story used, so the budget lasts until `now`.
        const share = Math.max(n, 1) / remaining;
        state.u = Math.min(1, state.u + (1 - state.u) * share * rng.exp(1));
        heap.push({ t: Math.max(entry.t, state.warp(state.u)), seq: seq++, tenant: state });
      }
      continue;
    }
    yield toEvent(entry.story!, entry.step!, entry.t, ids);
  }
}

/** The same events as NDJSON lines (no trailing newline). */
export function* generateDemoNdjson(options: DemoOptions): Generator<string> {
  for (const e of generateDemoEvents(options)) yield JSON.stringify(e);
}

function toEvent(story: Story, step: Step, t: number, ids: Prng): DemoEvent {
  const b = story.base;
  const x = step.extra;
  // One fixed shape for every event (absent fields are undefined, which JSON leaves out): fast to build.
  return x === undefined
    ? {
        event_id: ids.uuid(),
        tenant_id: story.tenant,
        occurred_at: iso(t),
        type: step.type,
        contact_id: step.contact,
        campaign_id: b.campaign_id,
        message_id: b.message_id,
        channel: b.channel,
        platform: b.platform,
        org_unit: b.org_unit,
        group_id: b.group_id,
        conversation_id: b.conversation_id,
        agent_id: b.agent_id,
        value: b.value,
        properties: b.properties,
      }
    : {
        event_id: ids.uuid(),
        tenant_id: story.tenant,
        occurred_at: iso(t),
        type: step.type,
        contact_id: step.contact,
        campaign_id: x.campaign_id ?? b.campaign_id,
        message_id: x.message_id ?? b.message_id,
        channel: x.channel ?? b.channel,
        platform: x.platform ?? b.platform,
        org_unit: x.org_unit ?? b.org_unit,
        group_id: x.group_id ?? b.group_id,
        conversation_id: x.conversation_id ?? b.conversation_id,
        agent_id: x.agent_id ?? b.agent_id,
        value: x.value ?? b.value,
        properties: x.properties ?? b.properties,
      };
}

const PAD2: string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let isoDay = -1;
let isoPrefix = '';

/** Date#toISOString for instants in time order, ~10x faster (the date part is cached per day). */
function iso(t: number): string {
  const ms = Math.floor(t);
  const day = Math.floor(ms / DAY);
  if (day !== isoDay) {
    isoDay = day;
    isoPrefix = new Date(day * DAY).toISOString().slice(0, 11);
  }
  let rem = ms - day * DAY;
  const h = Math.floor(rem / HOUR);
  rem -= h * HOUR;
  const m = Math.floor(rem / MINUTE);
  rem -= m * MINUTE;
  const s = Math.floor(rem / 1000);
  return isoPrefix + PAD2[h] + ':' + PAD2[m] + ':' + PAD2[s] + '.' + PAD3[rem - s * 1000] + 'Z';
}

function story(tenant: string, base: Fields, steps: Step[]): Story {
  return { tenant, base, steps };
}

/** Maps virtual time [0,1] to a UTC instant so that activity follows the tenant's hourly intensity. */
function timeWarp(planner: Planner, start: number, end: number): (u: number) => number {
  const hours = Math.ceil((end - start) / HOUR);
  const cdf = new Float64Array(hours + 1);
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: planner.tenant.time_zone,
    hour: 'numeric',
    hourCycle: 'h23',
    weekday: 'short',
    month: 'numeric',
  });
  const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
  for (let h = 0; h < hours; h++) {
    const parts = fmt.formatToParts(new Date(start + h * HOUR + HOUR / 2));
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
    const w = planner.intensity(Number(get('hour')), WEEKDAYS[get('weekday')] ?? 0, Number(get('month')));
    cdf[h + 1] = cdf[h] + Math.max(w, 1e-6);
  }
  const totalWeight = cdf[hours];
  return (u: number) => {
    const target = u * totalWeight;
    let lo = 0;
    let hi = hours;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (cdf[mid] <= target) lo = mid;
      else hi = mid - 1;
    }
    if (lo >= hours) return end;
    const within = (target - cdf[lo]) / (cdf[lo + 1] - cdf[lo]);
    return Math.min(end, Math.floor(start + (lo + within) * HOUR));
  };
}

/** Daytime-heavy activity with quieter weekends. */
function diurnal(hour: number, weekday: number, weekendFactor: number): number {
  const day = hour >= 7 && hour <= 21 ? 1 : hour >= 5 && hour <= 23 ? 0.35 : 0.08;
  const peak = hour >= 9 && hour <= 12 ? 1.4 : hour >= 18 && hour <= 20 ? 1.25 : 1;
  return day * peak * (weekday === 0 || weekday === 6 ? weekendFactor : 1);
}

/** A contact from the pool, skewed so some contacts get many messages and some few. */
function pickContact(rng: Prng, state: TenantState, prefix: string): { id: string; n: number } {
  const n = Math.floor(state.pool * Math.pow(rng.next(), 1.7));
  return { id: prefix + String(n).padStart(6, '0'), n };
}

function delayWithin7Days(rng: Prng, median: number): number {
  // Most opens come within hours; about one in ten comes after the 7-day attribution window.
  if (rng.chance(0.9)) return Math.min(7 * DAY - MINUTE, rng.logNormal(median, 1.4));
  return 7 * DAY + rng.next() * 14 * DAY;
}

function districtPlanner(): Planner {
  const tenant = DISTRICT.tenant_id;
  const user = (n: number) => 'u' + String(n).padStart(6, '0');
  return {
    tenant: DISTRICT,
    intensity(hour, weekday, month) {
      const season = month === 7 ? 0.35 : month === 8 ? 1.3 : month === 9 ? 1.2 : month === 6 ? 0.7 : 1;
      return diurnal(hour, weekday, 0.3) * season;
    },
    plan(t, rng, state) {
      const month = new Date(t - 4 * HOUR).getUTCMonth() + 1;
      // Registrations spread over the school year with an August (back to school) bump.
      const registerWeight = month === 8 ? 0.45 : month === 9 ? 0.25 : month === 7 ? 0.1 : 0.08;
      const kind = rng.weighted([
        ['notice', 0.035],
        ['register', registerWeight],
        ['login', 0.6],
        ['subscribe', 0.22],
      ] as const);
      if (kind === 'notice') {
        const id = ++state.nextId;
        const school = rng.pick(SCHOOLS);
        const group = rng.pick(NEWSGROUPS);
        const campaign = `notice-${String(id).padStart(5, '0')}`;
        const steps: Step[] = [
          {
            t,
            type: 'notice.published',
            extra: { channel: 'web', properties: { interface: rng.pick(INTERFACES), title: `${group} update ${id}` } },
          },
        ];
        const recipients = rng.int(10, 70);
        const sentAt = t + rng.int(1, 15) * MINUTE;
        const email: Fields = { channel: 'email', platform: 'email' };
        for (let r = 0; r < recipients; r++) {
          const contact = pickContact(rng, state, 'u').id;
          const at = sentAt + rng.int(0, 120_000);
          steps.push({ t: at, type: 'message.sent', contact, extra: email });
          if (rng.chance(0.03)) {
            steps.push({ t: at + rng.int(2_000, 60_000), type: 'message.bounced', contact, extra: email });
            continue;
          }
          steps.push({ t: at + rng.int(1_000, 30_000), type: 'message.delivered', contact, extra: email });
          if (rng.chance(0.46)) {
            const openedAt = at + 30_000 + delayWithin7Days(rng, 3 * HOUR);
            steps.push({ t: openedAt, type: 'message.viewed', contact, extra: email });
            if (rng.chance(0.03)) {
              steps.push({
                t: openedAt + rng.int(10_000, 600_000),
                type: 'message.unsubscribed',
                contact,
                extra: { ...email, properties: { method: 'inactivate_link' } },
              });
            }
          }
        }
        return story(
          tenant,
          { campaign_id: campaign, message_id: `${campaign}-email`, org_unit: school, group_id: group },
          steps,
        );
      }
      if (kind === 'register') {
        const contact = user(state.nextNewContact++);
        const school = rng.pick(SCHOOLS);
        const steps: Step[] = [
          {
            t,
            type: 'user.registered',
            contact,
            extra: { properties: { role: rng.pick(['parent', 'parent', 'student', 'staff']) } },
          },
        ];
        let at = t + rng.int(1, 10) * MINUTE;
        for (let i = rng.int(1, 4); i > 0; i--) {
          steps.push({
            t: at,
            type: 'user.login',
            contact,
            extra: { channel: 'web', platform: rng.pick(['web', 'ios', 'android']) },
          });
          at += rng.exp(4 * DAY);
        }
        for (let g = rng.int(0, 3); g > 0; g--) {
          const group = rng.pick(NEWSGROUPS);
          const subAt = t + rng.int(2, 60) * MINUTE;
          steps.push({ t: subAt, type: 'group.subscribed', contact, extra: { group_id: group } });
          if (rng.chance(0.1))
            steps.push({
              t: subAt + rng.exp(20 * DAY),
              type: 'group.unsubscribed',
              contact,
              extra: { group_id: group },
            });
        }
        return story(tenant, { org_unit: school }, steps);
      }
      if (kind === 'subscribe') {
        const contact = pickContact(rng, state, 'u').id;
        const group = rng.pick(NEWSGROUPS);
        const steps: Step[] = [{ t, type: 'group.subscribed', contact }];
        if (rng.chance(0.15)) steps.push({ t: t + rng.exp(15 * DAY), type: 'group.unsubscribed', contact });
        return story(tenant, { group_id: group }, steps);
      }
      const contact =
        rng.chance(0.15) && state.nextNewContact > state.pool
          ? user(rng.int(state.pool, state.nextNewContact - 1))
          : pickContact(rng, state, 'u').id;
      return story(
        tenant,
        {
          channel: 'web',
          platform: rng.weighted([
            ['web', 0.5],
            ['ios', 0.3],
            ['android', 0.2],
          ] as const),
        },
        [{ t, type: 'user.login', contact }],
      );
    },
  };
}

const BRAND_CHANNELS = [
  ['email', 0.4],
  ['sms', 0.2],
  ['push', 0.3],
  ['chat', 0.1],
] as const;
const DELIVERY: Record<string, number> = { email: 0.95, sms: 0.97, push: 0.9, chat: 0.99 };
const BOUNCE: Record<string, number> = { email: 0.03, sms: 0.02, push: 0, chat: 0 };
const VIEW: Record<string, number> = { email: 0.45, sms: 0.7, push: 0.35, chat: 0.8 };

function brandPlanner(): Planner {
  const tenant = BRAND.tenant_id;
  const agents = Array.from({ length: 14 }, (_, i) => `agent-${String(i + 1).padStart(2, '0')}`);
  return {
    tenant: BRAND,
    intensity(hour, weekday, month) {
      return diurnal(hour, weekday, 0.8) * (month === 11 ? 1.4 : month === 12 ? 1.6 : 1);
    },
    plan(t, rng, state) {
      if (rng.chance(0.16)) {
        const channel = rng.weighted(BRAND_CHANNELS);
        const id = ++state.nextId;
        const oneTime = rng.chance(0.3);
        const campaign = oneTime ? undefined : rng.pick(BRAND_CAMPAIGNS);
        const message = oneTime ? `otm-${String(id).padStart(5, '0')}` : `${campaign}-m${String(id).padStart(5, '0')}`;
        const base: Fields = { channel, message_id: message };
        if (campaign) base.campaign_id = campaign;
        const steps: Step[] = [];
        const recipients = rng.int(10, 80);
        for (let r = 0; r < recipients; r++) {
          const { id: contact, n } = pickContact(rng, state, 'cust-');
          const extra: Fields | undefined =
            channel === 'push'
              ? { platform: n % 9 < 5 ? 'ios' : 'android' }
              : channel === 'chat'
                ? { platform: 'web' }
                : undefined;
          const sentAt = t + rng.int(0, 10 * MINUTE);
          steps.push({ t: sentAt, type: 'message.sent', contact, extra });
          if (rng.chance(BOUNCE[channel])) {
            steps.push({ t: sentAt + rng.int(1_000, 60_000), type: 'message.bounced', contact, extra });
            continue;
          }
          if (!rng.chance(DELIVERY[channel])) continue;
          const deliveredAt = sentAt + rng.int(500, 45_000);
          steps.push({ t: deliveredAt, type: 'message.delivered', contact, extra });
          if (channel === 'email' && rng.chance(0.008)) {
            steps.push({ t: deliveredAt + rng.exp(DAY), type: 'message.unsubscribed', contact, extra });
          }
          if (!rng.chance(VIEW[channel])) continue;
          const viewedAt = deliveredAt + delayWithin7Days(rng, channel === 'email' ? 2 * HOUR : 20 * MINUTE);
          steps.push({ t: viewedAt, type: 'message.viewed', contact, extra });
          if (!rng.chance(0.3)) continue;
          const clickedAt = viewedAt + rng.int(3_000, 15 * MINUTE);
          steps.push({ t: clickedAt, type: 'message.clicked', contact, extra });
          if (!rng.chance(0.35)) continue;
          // Goals mostly within the 30-day attribution window, some after it.
          const goalAt =
            clickedAt +
            (rng.chance(0.88)
              ? Math.min(30 * DAY - MINUTE, rng.logNormal(DAY, 1.5))
              : 30 * DAY + rng.next() * 15 * DAY);
          steps.push({
            t: goalAt,
            type: 'goal.reached',
            contact,
            extra: { ...extra, properties: { goal: 'checkout' } },
          });
          if (!rng.chance(0.7)) continue;
          steps.push({
            t: goalAt + rng.int(MINUTE, 30 * MINUTE),
            type: 'purchase',
            contact,
            extra: { ...extra, value: Math.round(rng.logNormal(60, 0.7) * 100) / 100, properties: { currency: 'EUR' } },
          });
        }
        return story(tenant, base, steps);
      }
      // A conversation on a social platform or the web chat.
      const social = rng.chance(0.7);
      const platform = social
        ? rng.weighted([
            ['facebook', 0.45],
            ['whatsapp', 0.4],
            ['twitter', 0.15],
          ] as const)
        : 'web';
      const conversation = `conv-${String(++state.nextId).padStart(7, '0')}`;
      const contact = pickContact(rng, state, 'cust-').id;
      const agent = rng.pick(agents);
      const base: Fields = { channel: social ? 'social' : 'chat', platform, conversation_id: conversation };
      const steps: Step[] = [
        { t, type: 'conversation.started', contact },
        { t: t + 1, type: 'conversation.message_in', contact },
      ];
      let at = t + rng.logNormal(3 * MINUTE, 0.8);
      let answered = false;
      for (let i = rng.int(1, 6); i > 0; i--) {
        if (rng.chance(0.08) && !answered) break; // missed: nobody answered
        steps.push({ t: at, type: 'conversation.message_out', contact, extra: { agent_id: agent } });
        answered = true;
        at += rng.logNormal(4 * MINUTE, 0.9);
        if (i > 1) {
          steps.push({ t: at, type: 'conversation.message_in', contact });
          at += rng.logNormal(2 * MINUTE, 0.9);
        }
      }
      if (rng.chance(0.85))
        steps.push({
          t: at + rng.logNormal(5 * MINUTE, 1),
          type: 'conversation.resolved',
          contact,
          extra: answered ? { agent_id: agent } : undefined,
        });
      if (answered && rng.chance(0.12)) {
        steps.push({
          t: at + rng.logNormal(6 * HOUR, 1.3),
          type: 'purchase',
          contact,
          extra: {
            agent_id: agent,
            value: Math.round(rng.logNormal(75, 0.6) * 100) / 100,
            properties: { currency: 'EUR' },
          },
        });
      }
      return story(tenant, base, steps);
    },
  };
}

function kathmanduPlanner(): Planner {
  const tenant = KATHMANDU.tenant_id;
  const platformOf = (n: number) => (n % 10 < 6 ? 'android' : n % 10 < 9 ? 'ios' : 'web');
  return {
    tenant: KATHMANDU,
    intensity(hour, weekday) {
      // Saturday is the weekly holiday in Nepal.
      return diurnal(hour, weekday === 6 ? 0 : 1, 0.6);
    },
    plan(t, rng, state) {
      const kind = rng.weighted([
        ['push', 0.06],
        ['register', 0.25],
        ['login', 0.69],
      ] as const);
      if (kind === 'push') {
        const campaign = rng.pick(PUSH_CAMPAIGNS);
        const message = `${campaign}-${String(++state.nextId).padStart(5, '0')}`;
        const steps: Step[] = [];
        for (let r = rng.int(20, 120); r > 0; r--) {
          const { id: contact, n } = pickContact(rng, state, 'dev-');
          const extra: Fields = { platform: platformOf(n) };
          const sentAt = t + rng.int(0, 5 * MINUTE);
          steps.push({ t: sentAt, type: 'message.sent', contact, extra });
          if (!rng.chance(0.93)) continue;
          const deliveredAt = sentAt + rng.int(300, 20_000);
          steps.push({ t: deliveredAt, type: 'message.delivered', contact, extra });
          if (!rng.chance(0.4)) continue;
          const viewedAt = deliveredAt + delayWithin7Days(rng, 40 * MINUTE);
          steps.push({ t: viewedAt, type: 'message.viewed', contact, extra });
          if (rng.chance(0.2))
            steps.push({ t: viewedAt + rng.int(1_000, 120_000), type: 'message.clicked', contact, extra });
        }
        return story(tenant, { channel: 'push', campaign_id: campaign, message_id: message }, steps);
      }
      if (kind === 'register') {
        const n = state.nextNewContact++;
        const contact = 'dev-' + String(n).padStart(6, '0');
        return story(tenant, { channel: 'push', platform: platformOf(n) }, [
          { t, type: 'user.registered', contact },
          { t: t + rng.int(5_000, 120_000), type: 'user.login', contact },
        ]);
      }
      const { id: contact, n } = pickContact(rng, state, 'dev-');
      return story(tenant, { channel: 'push', platform: platformOf(n) }, [{ t, type: 'user.login', contact }]);
    },
  };
}

/**
 * Pending events by time: one array per minute, and a small heap for the
 * minute being emitted. Cheaper than one big heap (a big heap's random
 * access misses the cache on every level).
 */
class CalendarQueue {
  private static readonly WIDTH = MINUTE;
  private readonly buckets: (Entry[] | undefined)[];
  private readonly current = new MinHeap();
  private cursor = 0;
  private count = 0;

  constructor(
    private readonly start: number,
    end: number,
  ) {
    this.buckets = new Array(Math.ceil((end - start) / CalendarQueue.WIDTH) + 2);
  }

  get size(): number {
    return this.count;
  }

  push(e: Entry): void {
    const b = Math.floor((e.t - this.start) / CalendarQueue.WIDTH);
    this.count++;
    if (b <= this.cursor) {
      this.current.push(e);
      return;
    }
    const list = this.buckets[b];
    if (list) list.push(e);
    else this.buckets[b] = [e];
  }

  pop(): Entry | undefined {
    if (this.count === 0) return undefined;
    while (this.current.size === 0) {
      this.cursor++;
      const list = this.buckets[this.cursor];
      if (list) {
        this.buckets[this.cursor] = undefined;
        for (const e of list) this.current.push(e);
      }
    }
    this.count--;
    return this.current.pop();
  }
}

/** Binary min-heap on (t, seq): equal times come out in the order they were scheduled. */
class MinHeap {
  private readonly items: Entry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: Entry): void {
    const a = this.items;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, a[p])) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = e;
  }

  pop(): Entry | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && less(a[r], a[l]) ? r : l;
        if (!less(a[m], last)) break;
        a[i] = a[m];
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

export { DEMO_TENANTS };
