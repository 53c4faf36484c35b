/**
 * Finding the events of a request body without parsing it as a whole, so
 * that one bad event (invalid UTF-8, broken JSON, nesting deep enough to
 * overflow a recursive reader) is that event's error and never the body's.
 *
 * The scan works on bytes: the bytes that matter to JSON's structure
 * (quotes, backslashes, brackets, commas, newlines) are ASCII and never occur
 * inside a multi-byte UTF-8 sequence, so an element's bytes can be cut out
 * before they are decoded, and decoded on their own.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/** One event's bytes in a body, and how deeply they nest (an object of scalars is 1). */
export interface BodyElement {
  bytes: Buffer;
  depth: number;
  /** Why the bytes cannot be an event whatever they decode to (an empty element, text after the array). */
  problem?: string;
}

/** Is it an array? Then its elements; anything else is one element (a single object, or not JSON at all). */
export function jsonBodyElements(body: Buffer): BodyElement[] {
  const start = skipSpace(body, body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0);
  if (body[start] !== OPEN_ARRAY) return [measure(body.subarray(start))];
  return arrayElements(body, start);
}

/** NDJSON: one element per line (a trailing empty line is not one). */
export function ndjsonElements(body: Buffer): BodyElement[] {
  const elements: BodyElement[] = [];
  let from = 0;
  while (from < body.length) {
    let end = body.indexOf(NEWLINE, from);
    if (end < 0) end = body.length;
    const lineEnd = end > from && body[end - 1] === 0x0d ? end - 1 : end;
    elements.push(measure(body.subarray(from, lineEnd)));
    from = end + 1;
  }
  return elements;
}

/** The deepest nesting of `bytes` (strings skipped). */
function measure(bytes: Buffer): BodyElement {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === QUOTE) i = stringEnd(bytes, i);
    else if (b === OPEN_ARRAY || b === OPEN_OBJECT) deepest = Math.max(deepest, ++depth);
    else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
  }
  return { bytes, depth: deepest };
}

function arrayElements(body: Buffer, open: number): BodyElement[] {
  const elements: BodyElement[] = [];
  let depth = 0; // inside the outer array: 0
  let deepest = 0;
  let from = open + 1;
  const cut = (end: number) => {
    const bytes = trim(body.subarray(from, end));
    elements.push(
      bytes.length === 0
        ? { bytes, depth: 0, problem: 'an empty element (two commas in a row?)' }
        : { bytes, depth: deepest },
    );
    deepest = 0;
  };
  for (let i = open + 1; i < body.length; i++) {
    const b = body[i];
    if (b === QUOTE) {
      i = stringEnd(body, i);
    } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      deepest = Math.max(deepest, ++depth);
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
      if (depth === 0) {
        // The outer array closes: the last element, then nothing but space may follow.
        if (elements.length > 0 || trim(body.subarray(from, i)).length > 0) cut(i);
        const rest = trim(body.subarray(i + 1));
        if (rest.length > 0) elements.push({ bytes: rest, depth: 0, problem: 'text after the end of the array' });
        return elements;
      }
      depth--;
    } else if (b === COMMA && depth === 0) {
      cut(i);
      from = i + 1;
    }
  }
  // No closing bracket (a cut-off upload): the rest is one last element, named as such.
  const rest = trim(body.subarray(from));
  elements.push({ bytes: rest, depth: deepest, problem: 'the body ends before the array is closed (cut off?)' });
  return elements;
}

/** Index of the quote that ends the string opened at `open` (or the last index, unterminated). */
function stringEnd(bytes: Buffer, open: number): number {
  let at = open + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, at);
    if (quote < 0) return bytes.length - 1;
    let slashes = 0;
    while (bytes[quote - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

function skipSpace(bytes: Buffer, from: number): number {
  let i = from;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return i;
}

function trim(bytes: Buffer): Buffer {
  let start = skipSpace(bytes, 0);
  let end = bytes.length;
  while (
    end > start &&
    (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09 || bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)
  )
    end--;
  if (start > end) start = end;
  return bytes.subarray(start, end);
}
