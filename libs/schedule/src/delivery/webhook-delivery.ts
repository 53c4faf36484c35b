import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ResolvedDeliveryOptions } from './delivery-options';
import { TargetRefusedError, type TargetConfinement } from './target-confinement';
import type { DeliveryContext, DeliveryFile, DeliveryOutcome, WebhookTarget } from './delivery.types';

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
 * since a redirected POST may arrive as a GET without the file, and a
 * redirect could lead where the target itself may not. The URL carries no
 * credentials (the secret signs instead) and reaches only what the
 * confinement allows.
 */
export class WebhookDelivery {
  constructor(
    private readonly options: WebhookOptions,
    private readonly confinement: TargetConfinement,
  ) {}

  async deliver(target: WebhookTarget, file: DeliveryFile, ctx: DeliveryContext): Promise<DeliveryOutcome> {
    const inline = file.bytes <= this.options.maxWebhookBodyBytes;
    const body = inline ? await readFile(file.path) : Buffer.from(JSON.stringify(linkBody(file, ctx)));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = {
      'Content-Type': inline ? file.contentType : 'application/json',
      'Content-Length': String(body.length),
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
    // Literal addresses are checked here; names where they are resolved, by the connection's own lookup.
    await this.confinement.resolveWebhook(url);
    await this.post(url, headers, body);
    return { mode: inline ? 'body' : 'link' };
  }

  /**
   * One POST. Only the status code is kept of the answer: the body and the
   * reason phrase are the target's words, and a run's history must not
   * become a way to read what some address inside the network answers.
   */
  private post(url: URL, headers: Record<string, string>, body: Buffer): Promise<void> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeoutMs = this.options.timeoutMs;
    return new Promise<void>((done, fail) => {
      const req = send(
        url,
        { method: 'POST', headers, lookup: this.confinement.lookup as never, agent: false, timeout: timeoutMs },
        (res) => {
          res.resume(); // read and drop whatever it says
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return res.on('end', () => done()).on('error', () => done());
          fail(new Error(`the webhook answered ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`));
        },
      );
      req.on('timeout', () =>
        req.destroy(new WebhookTimeout(`the webhook did not answer within ${timeoutMs / 1000} s`)),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof TargetRefusedError || err instanceof WebhookTimeout) return fail(err);
        fail(new Error(`the webhook could not be reached: ${err.code ?? err.message}`));
      });
      req.end(body);
    });
  }
}

class WebhookTimeout extends Error {}

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
