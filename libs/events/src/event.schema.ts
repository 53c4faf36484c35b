import { CHANNELS, EVENT_TYPES } from './event-types';

const id = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\u0000]*$' });

/**
 * The event contract as JSON Schema: one definition for HTTP, files and Kafka,
 * published at GET /v1/events/schema. Unknown top-level fields are ignored so
 * producers can add fields before the warehouse knows them. Beyond the schema
 * (EventContract): every text is well-formed Unicode (no unpaired surrogate,
 * which the engine refuses or stores as invalid UTF-8), and a date is a real one.
 */
export const EVENT_JSON_SCHEMA = {
  $id: 'https://tallyhouse.dev/schemas/event.json',
  type: 'object',
  required: ['event_id', 'tenant_id', 'occurred_at', 'type'],
  properties: {
    event_id: { type: 'string', format: 'uuid', description: 'UUID from the producer; the idempotency key' },
    tenant_id: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      description: 'The district or brand',
    },
    occurred_at: {
      anyOf: [
        {
          type: 'string',
          maxLength: 40,
          pattern: '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})$',
        },
        { type: 'integer' },
      ],
      description: 'ISO 8601 instant with a zone (Z or ±hh:mm), or epoch milliseconds',
    },
    type: { type: 'string', enum: EVENT_TYPES },
    contact_id: id(256),
    campaign_id: id(256),
    message_id: id(256),
    channel: { type: 'string', enum: CHANNELS },
    platform: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' },
    org_unit: id(256),
    group_id: id(256),
    conversation_id: id(256),
    agent_id: id(256),
    value: {
      type: 'number',
      // What Decimal(18, 4) holds: 14 digits before the point. The engine refuses 1e14 itself.
      exclusiveMinimum: -1e14,
      exclusiveMaximum: 1e14,
      description: 'Amount, for purchases: |value| < 10^14, kept to 4 decimals',
    },
    properties: {
      type: 'object',
      maxProperties: 64,
      propertyNames: { maxLength: 128, pattern: '^[^\\u0000]+$' },
      additionalProperties: {
        anyOf: [{ type: 'string', maxLength: 4096, pattern: '^[^\\u0000]*$' }, { type: 'number' }, { type: 'boolean' }],
      },
    },
  },
} as const;
