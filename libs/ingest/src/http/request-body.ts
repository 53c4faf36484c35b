import type { IncomingItem } from '../event-ingest.service';

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Splits a request body into items: a JSON array, one JSON object, or NDJSON
 * (one event per line). A line that is not JSON becomes an item with a parse
 * error, so its neighbours are still stored.
 */
export function parseEventsBody(body: string, contentType: string, maxEvents: number): IncomingItem[] {
  if (/application\/(x-)?ndjson|application\/jsonl/.test(contentType)) {
    const lines = body.split('\n');
    if (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    if (lines.length > maxEvents) throw tooMany(lines.length, maxEvents);
    return lines.map((line) => {
      const raw = line.endsWith('\r') ? line.slice(0, -1) : line;
      try {
        return { value: JSON.parse(raw) as unknown, raw };
      } catch (err) {
        return { parseError: `invalid JSON: ${(err as Error).message}`, raw };
      }
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new BodyError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
  const values = Array.isArray(parsed) ? parsed : [parsed];
  if (values.length > maxEvents) throw tooMany(values.length, maxEvents);
  // The text is only needed for a dead letter, so it is built only then.
  return values.map((value) => ({
    value,
    get raw() {
      return JSON.stringify(value);
    },
  }));
}

function tooMany(n: number, max: number): BodyError {
  return new BodyError(413, `request has ${n} events; the limit is ${max} per request (INGEST_MAX_EVENTS)`);
}
