/** A failure another attempt cannot fix (SMTP not configured): retries stop at once. */
export class PermanentDeliveryError extends Error {}

/**
 * The message of anything thrown, with its cause when that says more (fetch()
 * throws a bare 'fetch failed' and keeps the reason in `cause`). Duck-typed:
 * errors from Node's own fetch are of another realm's Error under jest.
 */
export function errorText(err: unknown): string {
  if (!isErrorLike(err)) return String(err);
  const cause = isErrorLike(err.cause) ? err.cause.message : '';
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
}

export function isErrorLike(err: unknown): err is { message: string; cause?: unknown } {
  return typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string';
}

/**
 * `text` with every secret replaced by '***': a library's message may quote
 * the URL or the credentials it was given, and results and logs must not.
 */
export function redact(text: string, secrets: readonly string[]): string {
  // Longest first, so a URL goes before the password inside it.
  const sorted = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return sorted.reduce((out, secret) => out.split(secret).join('***'), text);
}

/** Query values this short are taken for settings (?v=2), not tokens: masking them would garble messages. */
const MIN_QUERY_SECRET_LENGTH = 6;

/** The secrets a URL carries: its password and its query's values (as written and decoded). */
export function urlSecrets(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [raw];
  }
  const secrets = [raw, url.password, safeDecode(url.password)];
  for (const pair of url.search.slice(1).split('&')) {
    const value = pair.slice(pair.indexOf('=') + 1);
    if (value.length >= MIN_QUERY_SECRET_LENGTH) secrets.push(value, safeDecode(value.replace(/\+/g, ' ')));
  }
  return secrets;
}

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
