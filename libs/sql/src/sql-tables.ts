/**
 * The tables ad hoc SQL may name, each read through the caller's tenant filter.
 * Every one has a tenant_id column (the filter's column); anything not listed
 * here is refused before it runs.
 */
export interface SqlTable {
  name: string;
  description: string;
}

export const SQL_TABLES: readonly SqlTable[] = [
  {
    name: 'events',
    description:
      'One row per accepted event: event_id, occurred_at (UTC), type, contact_id, campaign/message, channel, platform, org_unit, group_id, conversation_id, agent_id, value, properties. ORDER BY (tenant_id, type, occurred_at): filter on type and occurred_at.',
  },
  {
    name: 'rollup_15m',
    description:
      'Per 15-minute UTC bucket and dimensions: events (sum), value (sum), contacts (groupBitmap state of contact_no: read with groupBitmapMerge(contacts) for exact unique contacts).',
  },
  {
    name: 'rollup_daily',
    description:
      "Per local day in the tenant's home zone (time_zone column) and dimensions, for closed days; read with FINAL. Same figures as rollup_15m.",
  },
  {
    name: 'rollup_monthly',
    description: "Per local month in the tenant's home zone and dimensions; read with FINAL.",
  },
  {
    name: 'conversations',
    description:
      'One row per conversation (AggregatingMergeTree states): first/last activity, inbound/outbound counts, resolution. Read with GROUP BY conversation_id and the -Merge combinators.',
  },
  {
    name: 'message_funnel',
    description:
      'Per contact and message: first send, view and click (per campaign with message_id = "": first goal). Read with GROUP BY and the -Merge combinators.',
  },
  {
    name: 'dead_letters',
    description:
      'What could not be stored as an event: received_at, source, event_id, field, reason, raw bytes, Kafka topic/partition/offset.',
  },
];

export const SQL_TABLE_NAMES: ReadonlySet<string> = new Set(SQL_TABLES.map((t) => t.name));
