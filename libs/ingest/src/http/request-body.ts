import type { IncomingItem } from '../event-ingest.service';
import { type BodyElement, jsonBodyElements, ndjsonElements } from './json-elements';

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** How deeply an event may nest: an event is an object of scalars and one object of properties (2). */
export const MAX_EVENT_DEPTH = 32;
/** Of an element refused before it is read (too deep, or too large to be an event), this much is kept. */
const KEEP_BYTES = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a request body into items: a JSON array, one JSON object, or NDJSON
 * (one event per line). The body is cut into its events as bytes first, and
 * each is then decoded and parsed on its own: invalid UTF-8 (never replaced),
 * broken JSON or nesting deeper than MAX_EVENT_DEPTH is that item's error,
 * kept with its bytes, and its neighbours are still stored. Only a body that
 * is not JSON at all (not an array, and its one value does not parse) is an
 * error of the request.
 */
export function parseEventsBody(body: Buffer, contentType: string, maxEvents: number): IncomingItem[] {
  const ndjson = /application\/(x-)?ndjson|application\/jsonl/.test(contentType);
  const elements = ndjson ? ndjsonElements(body) : jsonBodyElements(body);
  if (elements.length > maxEvents) {
    throw new BodyError(
      413,
      `request has ${elements.length} events; the limit is ${maxEvents} per request (INGEST_MAX_EVENTS)`,
    );
  }
  const items = elements.map(itemOf);
  const single = !ndjson && items.length === 1 && !isArrayBody(body);
  if (single && items[0].parseError !== undefined) {
    throw new BodyError(400, `body is not valid JSON: ${items[0].parseError}`);
  }
  return items;
}

function itemOf(element: BodyElement): IncomingItem {
  const bad = (kind: string, reason: string, raw: Buffer | string = element.bytes): IncomingItem => ({
    parseError: reason,
    parseErrorKind: kind,
    raw,
  });
  if (element.problem) return bad('invalid-json', `invalid JSON: ${element.problem}`);
  if (element.depth > MAX_EVENT_DEPTH) {
    return bad(
      'too-deep',
      `nests ${element.depth} levels deep; an event nests at most ${MAX_EVENT_DEPTH} (the first ${KEEP_BYTES} bytes are kept)`,
      element.bytes.subarray(0, KEEP_BYTES),
    );
  }
  let text: string;
  try {
    text = utf8.decode(element.bytes);
  } catch {
    return bad('invalid-utf8', 'is not valid UTF-8 (kept as received, base64)');
  }
  try {
    return { value: JSON.parse(text) as unknown, raw: text };
  } catch (err) {
    return bad('invalid-json', `invalid JSON: ${(err as Error).message}`, text);
  }
}

function isArrayBody(body: Buffer): boolean {
  for (const b of body) {
    if (b === 0x5b) return true;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0xef && b !== 0xbb && b !== 0xbf) return false;
  }
  return false;
}
