/**
 * A small seeded generator of engagement events for the benchmarks: the same
 * seed gives the same rows, so every ingest path is fed identical data.
 *
 * Shape: a few tenants, a pool of contacts per tenant, a weighted mix of event
 * types over a fixed 90-day range. Events come roughly in time order (each one
 * within an hour of its position in the range), as a live feed would.
 */

export const BENCH_TENANTS = ['district-a', 'district-b', 'brand-c', 'brand-d'] as const;
export const BENCH_START_MS = Date.UTC(2025, 0, 1);
export const BENCH_DAYS = 90;
const SPAN_MS = BENCH_DAYS * 86_400_000;
const JITTER_MS = 3_600_000;

/** Event types by weight (a type appears `weight` times): the same table drives the SQL baseline. */
const TYPE_WEIGHTS: [string, number][] = [
  ['message.sent', 28],
  ['message.delivered', 24],
  ['message.viewed', 14],
  ['message.clicked', 5],
  ['message.bounced', 1],
  ['message.unsubscribed', 1],
  ['goal.reached', 2],
  ['user.registered', 2],
  ['user.login', 10],
  ['group.subscribed', 2],
  ['group.unsubscribed', 1],
  ['notice.published', 1],
  ['conversation.started', 2],
  ['conversation.message_in', 2],
  ['conversation.message_out', 2],
  ['conversation.resolved', 1],
  ['purchase', 2],
];
export const TYPE_TABLE: string[] = TYPE_WEIGHTS.flatMap(([t, w]) => Array<string>(w).fill(t));
export const CHANNELS = ['email', 'sms', 'push', 'voice', 'chat', 'social', 'web'];
export const PLATFORMS = ['ios', 'android', 'web', 'facebook', 'twitter', 'whatsapp'];
export const CAMPAIGNS = 40;
export const ORG_UNITS = 30;
export const GROUPS = 12;
export const AGENTS = 20;

/** An event as a producer sends it (optional fields left out when empty). */
export interface BenchEvent {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
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
  properties?: Record<string, string>;
}

/** The same event as an `events` row, with the contact number the bench hands out. */
export interface BenchRow {
  event_id: string;
  tenant_id: string;
  occurred_at: string;
  type: string;
  contact_id: string;
  contact_no: number;
  campaign_id: string;
  message_id: string;
  channel: string;
  platform: string;
  org_unit: string;
  group_id: string;
  conversation_id: string;
  agent_id: string;
  value: number;
  properties: Record<string, string>;
  source: string;
}

export interface GeneratorOptions {
  events: number;
  seed?: number;
  /** Contacts per tenant (default: events / 16, at least 1000). */
  contactsPerTenant?: number;
}

/** mulberry32: small, fast, good enough for benchmark data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function uuid(rand: () => number): string {
  const b = new Array<number>(16);
  for (let i = 0; i < 16; i += 4) {
    const x = (rand() * 4294967296) >>> 0;
    b[i] = x & 0xff;
    b[i + 1] = (x >>> 8) & 0xff;
    b[i + 2] = (x >>> 16) & 0xff;
    b[i + 3] = x >>> 24;
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x]);
  return `${h[0]}${h[1]}${h[2]}${h[3]}-${h[4]}${h[5]}-${h[6]}${h[7]}-${h[8]}${h[9]}-${h.slice(10).join('')}`;
}

export function contactsPerTenant(options: GeneratorOptions): number {
  return options.contactsPerTenant ?? Math.max(1000, Math.floor(options.events / 16));
}

/**
 * Yields the events in blocks of `blockSize`, each as [producer event, row].
 * Contact `c<k>` of a tenant gets contact number k + 1 in the rows.
 */
export function* eventBlocks(options: GeneratorOptions, blockSize: number): Generator<[BenchEvent, BenchRow][]> {
  const rand = prng(options.seed ?? 42);
  const contacts = contactsPerTenant(options);
  const n = options.events;
  let block: [BenchEvent, BenchRow][] = [];
  for (let i = 0; i < n; i++) {
    const tenant = BENCH_TENANTS[Math.floor(rand() * BENCH_TENANTS.length)];
    const ms = Math.min(
      BENCH_START_MS + SPAN_MS - 1,
      BENCH_START_MS + Math.floor((i / n) * SPAN_MS + rand() * JITTER_MS),
    );
    const iso = new Date(ms).toISOString();
    const type = TYPE_TABLE[Math.floor(rand() * TYPE_TABLE.length)];
    const k = Math.floor(rand() * contacts);
    const contact = type === 'notice.published' ? '' : `c${k}`;
    const channel = CHANNELS[Math.floor(rand() * CHANNELS.length)];
    const platform = PLATFORMS[Math.floor(rand() * PLATFORMS.length)];
    const campaign = Math.floor(rand() * CAMPAIGNS);
    const isMessage = type.startsWith('message.') || type === 'goal.reached';
    const isGroup = type.startsWith('group.');
    const isConversation = type.startsWith('conversation.');
    const orgUnit = `school-${Math.floor(rand() * ORG_UNITS)}`;
    const row: BenchRow = {
      event_id: uuid(rand),
      tenant_id: tenant,
      occurred_at: `${iso.slice(0, 10)} ${iso.slice(11, 23)}`,
      type,
      contact_id: contact,
      contact_no: contact ? k + 1 : 0,
      campaign_id: isMessage ? `cmp-${campaign}` : '',
      message_id: isMessage ? `msg-${campaign}-${Math.floor(rand() * 4)}` : '',
      channel,
      platform,
      org_unit: orgUnit,
      group_id: isGroup ? `group-${Math.floor(rand() * GROUPS)}` : '',
      conversation_id: isConversation ? `conv-${tenant}-${k}` : '',
      agent_id: isConversation ? `agent-${Math.floor(rand() * AGENTS)}` : '',
      value: type === 'purchase' ? Math.round(rand() * 20000) / 100 : 0,
      properties: rand() < 0.25 ? { locale: rand() < 0.5 ? 'en' : 'ne' } : {},
      source: 'bench',
    };
    const event: BenchEvent = { event_id: row.event_id, tenant_id: tenant, occurred_at: iso, type };
    if (row.contact_id) event.contact_id = row.contact_id;
    if (row.campaign_id) event.campaign_id = row.campaign_id;
    if (row.message_id) event.message_id = row.message_id;
    event.channel = channel;
    event.platform = platform;
    event.org_unit = orgUnit;
    if (row.group_id) event.group_id = row.group_id;
    if (row.conversation_id) event.conversation_id = row.conversation_id;
    if (row.agent_id) event.agent_id = row.agent_id;
    if (row.value) event.value = row.value;
    if (Object.keys(row.properties).length) event.properties = row.properties;
    block.push([event, row]);
    if (block.length === blockSize) {
      yield block;
      block = [];
    }
  }
  if (block.length) yield block;
}

/** A SQL string literal array, for the engine-side baseline. */
export function sqlArray(values: readonly string[]): string {
  return `[${values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

/**
 * The same kind of events made by the engine itself: `SELECT … FROM numbers(n)`
 * in EVENT_COLUMNS order, for `INSERT INTO events (…) SELECT`. The fastest way
 * to load a large data set (every view fed as by any insert).
 */
export function eventsSelect(n: number, contacts: number): string {
  const span = BENCH_DAYS * 86_400_000;
  return `
      WITH cityHash64(number, 1) AS h1, cityHash64(number, 2) AS h2, cityHash64(number, 3) AS h3,
           cityHash64(number, 4) AS h4, cityHash64(number, 5) AS h5, cityHash64(number, 6) AS h6,
           ${sqlArray(TYPE_TABLE)} AS types, ${sqlArray([...BENCH_TENANTS])} AS tenants,
           ${sqlArray(CHANNELS)} AS channels, ${sqlArray(PLATFORMS)} AS platforms,
           types[1 + h3 % length(types)] AS t, h4 % ${contacts} AS k, h5 % ${CAMPAIGNS} AS cmp,
           t LIKE 'message.%' OR t = 'goal.reached' AS is_msg, startsWith(t, 'conversation.') AS is_conv,
           tenants[1 + h1 % length(tenants)] AS tenant
      SELECT
        generateUUIDv4(number),
        tenant,
        fromUnixTimestamp64Milli(toInt64(${BENCH_START_MS} + intDiv(number * ${span}, ${n}) + h2 % 3600000), 'UTC'),
        t,
        if(t = 'notice.published', '', concat('c', toString(k))),
        if(t = 'notice.published', 0, k + 1),
        if(is_msg, concat('cmp-', toString(cmp)), ''),
        if(is_msg AND t != 'goal.reached', concat('msg-', toString(cmp), '-', toString(h6 % 4)), ''),
        channels[1 + intDiv(h5, 1000) % length(channels)],
        platforms[1 + intDiv(h6, 1000) % length(platforms)],
        concat('school-', toString(intDiv(h1, 1000) % ${ORG_UNITS})),
        if(startsWith(t, 'group.'), concat('group-', toString(intDiv(h2, 1000000) % ${GROUPS})), ''),
        if(is_conv, concat('conv-', tenant, '-', toString(k)), ''),
        if(is_conv, concat('agent-', toString(intDiv(h3, 1000) % ${AGENTS})), ''),
        if(t = 'purchase', (intDiv(h4, 1000) % 20000) / 100, 0),
        mapFromArrays(if(h5 % 4 = 0, ['locale'], []), if(h5 % 4 = 0, [if(h6 % 2 = 0, 'en', 'ne')], [])),
        'bench',
        0
      FROM numbers(${n})`;
}

/**
 * Events shaped like a real tenant's, for the reports bench: a contact keeps
 * its school and platform (1 event in 20 comes from a second platform), each
 * day carries three messages of the week's campaign on one channel each,
 * conversations happen on chat or social. Dimension combinations per day are
 * then bounded by the data model, not by the event count, which is what
 * rollups rely on. (eventsSelect above draws every dimension independently:
 * the worst case for any rollup, kept for the ingest benches' figures.)
 */
export function correlatedEventsSelect(n: number, contacts: number): string {
  const span = BENCH_DAYS * 86_400_000;
  const messageChannels = ['email', 'sms', 'push', 'voice'];
  return `
      WITH cityHash64(number, 1) AS h1, cityHash64(number, 2) AS h2, cityHash64(number, 3) AS h3,
           cityHash64(number, 4) AS h4, cityHash64(number, 5) AS h5, cityHash64(number, 6) AS h6,
           ${sqlArray(TYPE_TABLE)} AS types, ${sqlArray([...BENCH_TENANTS])} AS tenants,
           ${sqlArray(messageChannels)} AS message_channels, ${sqlArray(PLATFORMS)} AS platforms,
           toInt64(${BENCH_START_MS} + intDiv(number * ${span}, ${n}) + h2 % 3600000) AS ms,
           intDiv(ms - ${BENCH_START_MS}, 86400000) AS day_no, h6 % 3 AS msg_of_day,
           types[1 + h3 % length(types)] AS t, h4 % ${contacts} AS k,
           t LIKE 'message.%' OR t = 'goal.reached' AS is_msg, startsWith(t, 'conversation.') AS is_conv,
           tenants[1 + h1 % length(tenants)] AS tenant
      SELECT
        generateUUIDv4(number),
        tenant,
        fromUnixTimestamp64Milli(ms, 'UTC'),
        t,
        if(t = 'notice.published', '', concat('c', toString(k))),
        if(t = 'notice.published', 0, k + 1),
        if(is_msg, concat('cmp-', toString(intDiv(day_no, 7))), ''),
        if(is_msg AND t != 'goal.reached', concat('msg-', toString(day_no), '-', toString(msg_of_day)), ''),
        multiIf(is_msg, message_channels[1 + (day_no + msg_of_day) % length(message_channels)],
                is_conv, if(k % 3 = 0, 'social', 'chat'), 'web'),
        platforms[1 + (k + if(h5 % 20 = 0, 1, 0)) % length(platforms)],
        concat('school-', toString(k % ${ORG_UNITS})),
        if(startsWith(t, 'group.'), concat('group-', toString(intDiv(h2, 1000000) % ${GROUPS})), ''),
        if(is_conv, concat('conv-', tenant, '-', toString(k)), ''),
        if(is_conv, concat('agent-', toString(intDiv(h3, 1000) % ${AGENTS})), ''),
        if(t = 'purchase', (intDiv(h4, 1000) % 20000) / 100, 0),
        mapFromArrays(if(h5 % 4 = 0, ['locale'], []), if(h5 % 4 = 0, [if(h6 % 2 = 0, 'en', 'ne')], [])),
        'bench',
        0
      FROM numbers(${n})`;
}

/** The `events` columns campaignFunnelSelects fills, in its SELECT order. */
export const CAMPAIGN_FUNNEL_COLUMNS = [
  'event_id',
  'tenant_id',
  'occurred_at',
  'type',
  'contact_id',
  'contact_no',
  'campaign_id',
  'message_id',
  'channel',
] as const;

/**
 * A campaign-performance download of `contacts × campaigns` per-contact rows,
 * made by the engine: campaign m (one message) is sent to every contact on day
 * m from `startMs`, and every third contact views it an hour later. Two
 * SELECTs in CAMPAIGN_FUNNEL_COLUMNS order, for `INSERT INTO events … SELECT`.
 */
export function campaignFunnelSelects(tenant: string, contacts: number, campaigns: number, startMs: number): string[] {
  const sends = `
    SELECT generateUUIDv4(number), '${tenant}',
           fromUnixTimestamp64Milli(toInt64(${startMs} + intDiv(number, ${contacts}) * 86400000 + (number % ${contacts}) * 100), 'UTC'),
           'message.sent', concat('c', toString(number % ${contacts})), number % ${contacts} + 1,
           concat('cmp-', toString(intDiv(number, ${contacts}))), concat('msg-', toString(intDiv(number, ${contacts}))), 'email'
    FROM numbers(${contacts * campaigns})`;
  const views = `
    SELECT generateUUIDv4(number + ${contacts * campaigns}), '${tenant}',
           fromUnixTimestamp64Milli(toInt64(${startMs} + (number % ${campaigns}) * 86400000 + intDiv(number, ${campaigns}) * 3 * 100 + 3600000), 'UTC'),
           'message.viewed', concat('c', toString(intDiv(number, ${campaigns}) * 3)), intDiv(number, ${campaigns}) * 3 + 1,
           concat('cmp-', toString(number % ${campaigns})), concat('msg-', toString(number % ${campaigns})), 'email'
    FROM numbers(${Math.ceil(contacts / 3) * campaigns})`;
  return [sends, views];
}
