import type { IncomingItem } from '../event-ingest.service';

/** What a Kafka message carries, as kafkajs hands it over. */
export interface RawKafkaMessage {
  offset: string;
  value: Buffer | null;
}

/** Bytes of an oversized message kept in its dead letter (the rest is cut, and the reason says so). */
const OVERSIZED_KEEP_BYTES = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One message into one ingest item: the parsed JSON value, or the reason it is
 * not an event, with the bytes as they arrived and where they came from. The
 * event contract then judges the value exactly as for HTTP.
 */
export function decodeKafkaMessage(
  message: RawKafkaMessage,
  topic: string,
  partition: number,
  maxBytes: number,
): IncomingItem {
  const origin = { topic, partition, offset: Number(message.offset) };
  const bad = (kind: string, reason: string, raw: Buffer | string = message.value ?? ''): IncomingItem => ({
    parseError: reason,
    parseErrorKind: kind,
    raw,
    origin,
  });
  const value = message.value;
  if (value === null) return bad('tombstone', 'is a tombstone (null value): no event to store');
  if (value.length > maxBytes) {
    return bad(
      'oversized',
      `is ${value.length} bytes, over the limit of ${maxBytes} (KAFKA_MAX_MESSAGE_BYTES); the first ${OVERSIZED_KEEP_BYTES} bytes are kept`,
      value.subarray(0, OVERSIZED_KEEP_BYTES),
    );
  }
  if (value.length === 0) return bad('empty', 'is empty: no event to store');
  if (value.includes(0)) return bad('nul-bytes', 'contains NUL bytes');
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return bad('invalid-utf8', 'is not valid UTF-8');
  }
  try {
    return { value: JSON.parse(text), raw: text, origin };
  } catch (err) {
    return bad('invalid-json', `is not valid JSON: ${(err as Error).message}`, text);
  }
}
