import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ResolvedDeliveryOptions } from './delivery-options';
import { errorText, isErrorLike, safeDecode } from './delivery-errors';
import type { DeliveryContext, DeliveryFile, DeliveryOutcome, WebhookTarget } from './delivery.types';

/** Of a non-2xx answer's body, this much goes into the error. */
const ERROR_BODY_CHARS = 200;

/**
 * The link-mode body: where to download a file too large to post.
 */
export interface WebhookLinkBody {
  schedule_id: string;
  run_id: string;
  report: string;
  scheduled_for: string;
  file_name: string;
  rows: number;
  bytes: number;
  sha256: string;
  download_url: string;
}

type WebhookOptions = Pick<ResolvedDeliveryOptions, 'maxWebhookBodyBytes' | 'timeoutMs'>;

/**
 * POSTs a run's file to a URL. Mode 'body': the file's bytes are the body
 * (Content-Type the file's). Mode 'link', for files over maxWebhookBodyBytes:
 * a JSON WebhookLinkBody with the signed download link. Either way the request
 * carries X-Tallyhouse-Delivery (body | link), -Schedule, -Run, -File-Name
 * (percent-encoded, as non-ASCII cannot go in a header), -Rows, -Sha256 (of
 * the file) and -Timestamp (unix seconds), and with a secret:
 *
 *   X-Tallyhouse-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body bytes>")>
 *
 * A receiver recomputes it over the raw body (verifyWebhookSignature) and
 * rejects old timestamps, so a captured request cannot be replayed later.
 * Only a 2xx answer counts; redirects are not followed (a 3xx is a failure),
 * since a redirected POST may arrive as a GET without the file.
 */
export class WebhookDelivery {
  constructor(private readonly options: WebhookOptions) {}

  async deliver(target: WebhookTarget, file: DeliveryFile, ctx: DeliveryContext): Promise<DeliveryOutcome> {
    const inline = file.bytes <= this.options.maxWebhookBodyBytes;
    const body = inline ? await readFile(file.path) : Buffer.from(JSON.stringify(linkBody(file, ctx)));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'Content-Type': inline ? file.contentType : 'application/json',
      'User-Agent': 'Tallyhouse-Webhook/1',
      'X-Tallyhouse-Delivery': inline ? 'body' : 'link',
      'X-Tallyhouse-Schedule': ctx.scheduleId,
      'X-Tallyhouse-Run': ctx.runId,
      'X-Tallyhouse-File-Name': encodeURIComponent(file.fileName),
      'X-Tallyhouse-Rows': String(file.rows),
      'X-Tallyhouse-Sha256': file.sha256,
      'X-Tallyhouse-Timestamp': timestamp,
    };
    if (target.secret) headers['X-Tallyhouse-Signature'] = signWebhookBody(target.secret, timestamp, body);
    const url = new URL(target.url);
    // fetch() refuses URLs with credentials: they go as Basic authentication instead.
    if (url.username || url.password) {
      const basic = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
      headers['Authorization'] = `Basic ${Buffer.from(basic).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    await this.post(url, headers, body);
    return { mode: inline ? 'body' : 'link' };
  }

  private async post(url: URL, headers: Record<string, string>, body: Buffer): Promise<void> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal });
    } catch (err) {
      if (signal.aborted) throw new Error(`the webhook did not answer within ${this.options.timeoutMs / 1000} s`);
      // fetch() says only 'fetch failed'; the reason (ECONNREFUSED, ENOTFOUND, a TLS error) is its cause.
      const reason = isErrorLike(err) && isErrorLike(err.cause) ? err.cause.message : errorText(err);
      throw new Error(`the webhook could not be reached: ${reason}`);
    }
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel().catch(() => undefined);
      return;
    }
    const excerpt = await bodyStart(response).catch(() => '');
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw new Error(`the webhook answered ${status}${excerpt ? `: ${excerpt}` : ''}`);
  }
}

function linkBody(file: DeliveryFile, ctx: DeliveryContext): WebhookLinkBody {
  return {
    schedule_id: ctx.scheduleId,
    run_id: ctx.runId,
    report: ctx.report,
    scheduled_for: ctx.scheduledFor,
    file_name: file.fileName,
    rows: file.rows,
    bytes: file.bytes,
    sha256: file.sha256,
    download_url: ctx.downloadUrl,
  };
}

/** The first ERROR_BODY_CHARS characters of an answer, on one line; reads no more than that needs. */
async function bodyStart(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // 4 bytes are the most one character takes in UTF-8.
  while (size < ERROR_BODY_CHARS * 4) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  await reader.cancel().catch(() => undefined);
  const text = new TextDecoder().decode(Buffer.concat(chunks));
  return [...text.replace(/\s+/g, ' ').trim()].slice(0, ERROR_BODY_CHARS).join('');
}

/** The X-Tallyhouse-Signature value for `body` sent at `timestamp` (unix seconds). */
export function signWebhookBody(secret: string, timestamp: string | number, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export interface WebhookVerifyOptions {
  /** Requests whose timestamp is further than this from `now` are refused, seconds (default 300). */
  maxAgeSeconds?: number;
  now?: Date;
}

/**
 * For receivers: true when `header` (X-Tallyhouse-Signature) is `secret`'s
 * signature of `body` (the raw bytes received) at `timestamp`
 * (X-Tallyhouse-Timestamp), and that timestamp is recent. Compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number,
  body: Uint8Array | string,
  header: string | null | undefined,
  options: WebhookVerifyOptions = {},
): boolean {
  const seconds = Number(timestamp);
  if (!header || !/^\d{1,12}$/.test(String(timestamp))) return false;
  const now = (options.now ?? new Date()).getTime() / 1000;
  if (Math.abs(now - seconds) > (options.maxAgeSeconds ?? 300)) return false;
  const want = Buffer.from(signWebhookBody(secret, timestamp, body));
  const got = Buffer.from(header.trim());
  return want.length === got.length && timingSafeEqual(want, got);
}
