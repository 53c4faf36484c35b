import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { CONTACTLESS_TYPES, type EventType } from './event-types';
import { EVENT_JSON_SCHEMA } from './event.schema';

/** An event that passed the contract, normalised for storage. */
export interface ValidEvent {
  event_id: string;
  tenant_id: string;
  /** UTC, 'YYYY-MM-DD hh:mm:ss.mmm' (what DateTime64(3, 'UTC') parses). */
  occurred_at: string;
  /** Epoch milliseconds of occurred_at. */
  occurred_ms: number;
  type: EventType;
  contact_id: string;
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
}

export interface EventError {
  /** The field at fault ('' for the event as a whole). */
  field: string;
  reason: string;
}

export type ValidationResult = { ok: true; event: ValidEvent } | { ok: false; error: EventError };

export interface ContractOptions {
  /** Reject occurred_at later than now + this. */
  maxFutureMs: number;
  now?: () => number;
}

/** Events before this are rejected: no engagement data predates it, a 0 or a seconds-epoch does. */
export const EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);

export class EventContract {
  private readonly validateSchema;
  private readonly now: () => number;

  constructor(private readonly options: ContractOptions) {
    const ajv = new Ajv({ allErrors: false, strict: false });
    addFormats(ajv, ['uuid']);
    this.validateSchema = ajv.compile(EVENT_JSON_SCHEMA);
    this.now = options.now ?? Date.now;
  }

  validate(input: unknown): ValidationResult {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return fail('', 'must be a JSON object');
    }
    if (!this.validateSchema(input)) return { ok: false, error: describe(this.validateSchema.errors?.[0]) };
    const e = input as unknown as Record<string, unknown>;
    const ms = typeof e.occurred_at === 'number' ? e.occurred_at : Date.parse(e.occurred_at as string);
    if (!Number.isFinite(ms) || (typeof e.occurred_at === 'string' && !isRealCalendarDate(e.occurred_at))) {
      return fail('occurred_at', 'is not a valid date');
    }
    if (ms < EARLIEST_EVENT_MS) {
      return fail('occurred_at', 'is before 2000-01-01 (numbers are epoch milliseconds)');
    }
    if (ms > this.now() + this.options.maxFutureMs) {
      return fail('occurred_at', `is more than ${Math.round(this.options.maxFutureMs / 3_600_000)} h in the future`);
    }
    const broken = unpairedSurrogateField(e);
    if (broken)
      return fail(broken, 'contains an unpaired UTF-16 surrogate (\\uD800-\\uDFFF alone), which is not Unicode text');
    const type = e.type as EventType;
    const contact = (e.contact_id as string | undefined) ?? '';
    if (contact === '' && !CONTACTLESS_TYPES.includes(type)) return fail('contact_id', `is required for ${type}`);
    const iso = new Date(ms).toISOString();
    return {
      ok: true,
      event: {
        event_id: (e.event_id as string).toLowerCase(),
        tenant_id: e.tenant_id as string,
        occurred_at: `${iso.slice(0, 10)} ${iso.slice(11, 23)}`,
        occurred_ms: ms,
        type,
        contact_id: contact,
        campaign_id: str(e.campaign_id),
        message_id: str(e.message_id),
        channel: str(e.channel),
        platform: str(e.platform).toLowerCase(),
        org_unit: str(e.org_unit),
        group_id: str(e.group_id),
        conversation_id: str(e.conversation_id),
        agent_id: str(e.agent_id),
        value: typeof e.value === 'number' ? e.value : 0,
        properties: props(e.properties),
      },
    };
  }
}

/**
 * Date.parse rolls impossible dates over (2026-02-30 becomes 2026-03-02, hour
 * 24 the next day): check the written day and time exist.
 */
function isRealCalendarDate(iso: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(iso);
  if (!m) return true; // other shapes are left to the schema's pattern
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  return m[4] === undefined || (Number(m[4]) <= 23 && Number(m[5]) <= 59);
}

/** Text fields of an event, besides properties. */
const TEXT_FIELDS = [
  'event_id',
  'tenant_id',
  'contact_id',
  'campaign_id',
  'message_id',
  'platform',
  'org_unit',
  'group_id',
  'conversation_id',
  'agent_id',
] as const;

/** A lone high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The first field holding text that is not well-formed Unicode (JSON's \uD800
 * escapes make such strings; the engine refuses a lone high surrogate and
 * would store a lone low one as invalid UTF-8), or null.
 */
function unpairedSurrogateField(e: Record<string, unknown>): string | null {
  for (const field of TEXT_FIELDS) {
    const v = e[field];
    if (typeof v === 'string' && UNPAIRED_SURROGATE.test(v)) return field;
  }
  const properties = e.properties;
  if (properties && typeof properties === 'object') {
    for (const [k, v] of Object.entries(properties as Record<string, unknown>)) {
      if (UNPAIRED_SURROGATE.test(k)) return 'properties';
      if (typeof v === 'string' && UNPAIRED_SURROGATE.test(v)) return `properties.${k}`;
    }
  }
  return null;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function props(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = String(val);
  return out;
}

function fail(field: string, reason: string): ValidationResult {
  return { ok: false, error: { field, reason } };
}

function describe(err: ErrorObject | undefined): EventError {
  if (!err) return { field: '', reason: 'is invalid' };
  const path = err.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (err.keyword === 'required') {
    const missing = (err.params as { missingProperty: string }).missingProperty;
    return { field: path ? `${path}.${missing}` : missing, reason: 'is required' };
  }
  if (err.keyword === 'enum') {
    const allowed = (err.params as { allowedValues: unknown[] }).allowedValues;
    return { field: path, reason: `must be one of ${allowed.join(', ')}` };
  }
  if (err.keyword === 'pattern' && path === 'occurred_at') {
    return { field: path, reason: 'must be an ISO 8601 instant with a zone (Z or ±hh:mm) or epoch milliseconds' };
  }
  if (err.keyword === 'anyOf' && path === 'occurred_at') {
    return { field: path, reason: 'must be an ISO 8601 instant with a zone (Z or ±hh:mm) or epoch milliseconds' };
  }
  if (err.keyword === 'pattern') return { field: path, reason: 'contains characters that are not allowed' };
  return { field: path, reason: err.message ?? 'is invalid' };
}
