import type { ServerResponse } from 'node:http';
import { DeliveryService } from './delivery.service';
import type { DeliveryFile } from './delivery.types';
import {
  captureLogs,
  sampleContext,
  sampleFile,
  startHttpServer,
  tempFolder,
  type ReceivedRequest,
  type TestHttpServer,
} from './delivery-test-helpers';
import { signWebhookBody, verifyWebhookSignature, type WebhookLinkBody } from './webhook-delivery';

const SECRET = 'whsec-0123456789abcdef';

describe('DeliveryService: webhook', () => {
  let server: TestHttpServer;
  /** Status codes to answer with, in turn; 200 once they run out. */
  let answers: number[];
  let answerBody: string;
  let folder: Awaited<ReturnType<typeof tempFolder>>;
  let file: DeliveryFile;
  let logs: string[];

  // The receivers are on 127.0.0.1, which a webhook may reach only when listed (target-confinement.spec.ts).
  const LOCAL = { webhookAllowHosts: ['127.0.0.1'] };
  const service = (options: { maxWebhookBodyBytes?: number; timeoutMs?: number } = {}) =>
    new DeliveryService({ attempts: 4, baseDelayMs: 1, ...LOCAL, ...options });
  const header = (request: ReceivedRequest, name: string) => request.headers[name.toLowerCase()] as string;

  beforeAll(async () => {
    logs = captureLogs();
    server = await startHttpServer((_request, res: ServerResponse) => {
      res.writeHead(answers.shift() ?? 200, { 'Content-Type': 'text/plain' });
      res.end(answerBody);
    });
    folder = await tempFolder();
    file = await sampleFile(folder.path, 'account-usage-2026-10-01.csv', 'account,events\r\nä-school,42\r\n', 2);
  });

  afterAll(async () => {
    await server.close();
    await folder.remove();
  });

  beforeEach(() => {
    server.requests.length = 0;
    answers = [];
    answerBody = 'ok';
    logs.length = 0;
  });

  it('posts the file as the body, with headers and a signature that verifies', async () => {
    const result = await service().deliver(
      { type: 'webhook', url: `${server.url}/hooks/reports`, secret: SECRET },
      file,
      sampleContext,
    );

    expect(result).toEqual({ target: `webhook ${server.url}/hooks/reports`, ok: true, attempts: 1, mode: 'body' });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hooks/reports');
    expect(request.body.equals(Buffer.from('account,events\r\nä-school,42\r\n'))).toBe(true);
    expect(header(request, 'Content-Type')).toBe('text/csv; charset=utf-8');
    expect(header(request, 'X-Tallyhouse-Delivery')).toBe('body');
    expect(header(request, 'X-Tallyhouse-Schedule')).toBe(sampleContext.scheduleId);
    expect(header(request, 'X-Tallyhouse-Run')).toBe(sampleContext.runId);
    expect(decodeURIComponent(header(request, 'X-Tallyhouse-File-Name'))).toBe('account-usage-2026-10-01.csv');
    expect(header(request, 'X-Tallyhouse-Rows')).toBe('2');
    expect(header(request, 'X-Tallyhouse-Sha256')).toBe(file.sha256);
    const timestamp = header(request, 'X-Tallyhouse-Timestamp');
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(10);
    const signature = header(request, 'X-Tallyhouse-Signature');
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, timestamp, request.body, signature)).toBe(true);
    expect(verifyWebhookSignature('another-secret', timestamp, request.body, signature)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, Buffer.concat([request.body, Buffer.from('x')]), signature)).toBe(
      false,
    );
    expect(verifyWebhookSignature(SECRET, Number(timestamp) + 1, request.body, signature)).toBe(false);
  });

  it('sends no signature without a secret', async () => {
    await service().deliver({ type: 'webhook', url: server.url }, file, sampleContext);

    expect(server.requests[0].headers['x-tallyhouse-signature']).toBeUndefined();
  });

  it('posts signed JSON with the download link for a file over maxWebhookBodyBytes', async () => {
    const result = await service({ maxWebhookBodyBytes: 10 }).deliver(
      { type: 'webhook', url: server.url, secret: SECRET },
      file,
      sampleContext,
    );

    expect(result).toMatchObject({ ok: true, attempts: 1, mode: 'link' });
    const [request] = server.requests;
    expect(header(request, 'Content-Type')).toBe('application/json');
    expect(header(request, 'X-Tallyhouse-Delivery')).toBe('link');
    expect(JSON.parse(request.body.toString('utf8'))).toEqual({
      schedule_id: sampleContext.scheduleId,
      run_id: sampleContext.runId,
      report: 'account-usage',
      scheduled_for: '2026-11-01T06:00:00.000Z',
      file_name: 'account-usage-2026-10-01.csv',
      rows: 2,
      bytes: file.bytes,
      sha256: file.sha256,
      download_url: sampleContext.downloadUrl,
    } satisfies WebhookLinkBody);
    const timestamp = header(request, 'X-Tallyhouse-Timestamp');
    expect(verifyWebhookSignature(SECRET, timestamp, request.body, header(request, 'X-Tallyhouse-Signature'))).toBe(
      true,
    );
  });

  it('tries again after 500s and succeeds on the third attempt', async () => {
    answers = [500, 500];

    const result = await service().deliver({ type: 'webhook', url: server.url }, file, sampleContext);

    expect(result).toMatchObject({ ok: true, attempts: 3, mode: 'body' });
    expect(server.requests).toHaveLength(3);
    expect(logs).toHaveLength(2);
  });

  it('fails after every attempt on 503, naming the status and the start of the answer', async () => {
    answers = [503, 503, 503, 503];
    answerBody = `overloaded ${'x'.repeat(1000)}`;

    const result = await service().deliver({ type: 'webhook', url: server.url }, file, sampleContext);

    expect(result).toMatchObject({ ok: false, attempts: 4 });
    // The status only: what the target says is its own, and never shown back.
    expect(result.error).toBe('the webhook answered 503 Service Unavailable');
    expect(server.requests).toHaveLength(4);
  });

  it('counts a redirect as a failure instead of following it', async () => {
    answers = [302];

    const result = await new DeliveryService({ attempts: 1, ...LOCAL }).deliver(
      { type: 'webhook', url: server.url },
      file,
      sampleContext,
    );

    expect(result).toMatchObject({ ok: false, attempts: 1, error: 'the webhook answered 302 Found' });
    expect(server.requests).toHaveLength(1);
  });

  it('fails on a timeout and on a refused connection', async () => {
    const slow = await startHttpServer((_request, res) => setTimeout(() => res.end('late'), 1000).unref());
    const closed = await startHttpServer(() => undefined);
    await closed.close();
    try {
      const quick = new DeliveryService({ attempts: 2, baseDelayMs: 1, timeoutMs: 100, ...LOCAL });
      const late = await quick.deliver({ type: 'webhook', url: slow.url }, file, sampleContext);
      const refused = await quick.deliver({ type: 'webhook', url: closed.url }, file, sampleContext);

      expect(late).toMatchObject({ ok: false, attempts: 2, error: 'the webhook did not answer within 0.1 s' });
      expect(refused).toMatchObject({ ok: false, attempts: 2 });
      expect(refused.error).toBe('the webhook could not be reached: ECONNREFUSED');
    } finally {
      await slow.close();
    }
  });

  it('refuses URL credentials without sending anything, and keeps the query and the secret out of results and logs', async () => {
    answers = [401, 401];
    answerBody = 'token tok-123456 is not valid';
    const withCredentials = new DeliveryService({ attempts: 2, baseDelayMs: 1, ...LOCAL });

    const refused = await withCredentials.deliver(
      { type: 'webhook', url: `${server.url.replace('//', '//hook:pa%24%24word@')}/in`, secret: SECRET },
      file,
      sampleContext,
    );
    const failed = await withCredentials.deliver(
      { type: 'webhook', url: `${server.url}/in?token=tok-123456`, secret: SECRET },
      file,
      sampleContext,
    );

    expect(refused).toMatchObject({ ok: false, attempts: 0 });
    expect(refused.error).toMatch(/url must not carry credentials/);
    expect(server.requests.map((r) => r.url)).toEqual(['/in?token=tok-123456', '/in?token=tok-123456']);
    expect(failed).toMatchObject({ target: `webhook ${server.url}/in`, ok: false, attempts: 2 });
    expect(failed.error).toBe('the webhook answered 401 Unauthorized');
    const shown = JSON.stringify([refused, failed, logs]);
    for (const secret of [SECRET, 'tok-123456', 'pa$$word', 'pa%24%24word']) expect(shown).not.toContain(secret);
  });
});

describe('verifyWebhookSignature', () => {
  const body = Buffer.from('{"a":1}');
  const now = new Date('2026-11-01T06:00:00Z');
  const timestamp = Math.floor(now.getTime() / 1000);
  const signature = signWebhookBody(SECRET, timestamp, body);

  it('accepts a signature of the timestamp and body, given as text or bytes', () => {
    expect(verifyWebhookSignature(SECRET, String(timestamp), body, signature, { now })).toBe(true);
    expect(verifyWebhookSignature(SECRET, timestamp, '{"a":1}', signature, { now })).toBe(true);
  });

  it('refuses old timestamps, missing or malformed headers', () => {
    const later = new Date(now.getTime() + 301_000);
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature, { now: later })).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature, { now: later, maxAgeSeconds: 600 })).toBe(true);
    expect(verifyWebhookSignature(SECRET, timestamp, body, undefined, { now })).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, signature.slice(0, -1), { now })).toBe(false);
    expect(verifyWebhookSignature(SECRET, `${timestamp}.5`, body, signature, { now })).toBe(false);
  });
});
