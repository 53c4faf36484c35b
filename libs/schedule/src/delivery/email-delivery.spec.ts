import { DeliveryService } from './delivery.service';
import type { DeliveryFile } from './delivery.types';
import {
  captureLogs,
  mailAttachments,
  mailHeader,
  mailText,
  sampleContext,
  sampleFile,
  startSmtpServer,
  tempFolder,
  type TestSmtpServer,
} from './delivery-test-helpers';
import { SMTP_NOT_CONFIGURED } from './email-delivery';

const PASSWORD = 'pa55-w0rd-secret';

describe('DeliveryService: email', () => {
  let smtp: TestSmtpServer;
  let folder: Awaited<ReturnType<typeof tempFolder>>;
  let file: DeliveryFile;
  let logs: string[];
  const services: DeliveryService[] = [];

  const service = (options: { maxAttachmentBytes?: number; attempts?: number } = {}) => {
    const made = new DeliveryService({
      smtpUrl: `smtp://reports:${PASSWORD}@127.0.0.1:${smtp.port}`,
      attempts: 3,
      baseDelayMs: 1,
      timeoutMs: 5000,
      ...options,
    });
    services.push(made);
    return made;
  };

  beforeAll(async () => {
    logs = captureLogs();
    smtp = await startSmtpServer();
    folder = await tempFolder();
    // Bytes of every value, so base64 decoding is really checked.
    const content = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
    file = await sampleFile(folder.path, 'account-usage-2026-10-01.xlsx', content, 1234, 'application/octet-stream');
  });

  afterAll(async () => {
    services.forEach((s) => s.close());
    await smtp.close();
    await folder.remove();
  });

  beforeEach(() => {
    smtp.messages.length = 0;
    smtp.recipientsTried.length = 0;
    smtp.refuse.clear();
    logs.length = 0;
  });

  it('attaches a file within maxAttachmentBytes, with the default subject and a short text', async () => {
    const result = await service().deliver(
      { type: 'email', to: ['board@example.org', 'cfo@example.org'] },
      file,
      sampleContext,
    );

    expect(result).toEqual({
      target: 'email to board@example.org, cfo@example.org',
      ok: true,
      attempts: 1,
      mode: 'attachment',
    });
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail).toMatchObject({ user: 'reports', from: 'reports@localhost' });
    expect(mail.to).toEqual(['board@example.org', 'cfo@example.org']);
    expect(mailHeader(mail.raw, 'Subject')).toBe('Monthly usage: account-usage for 2026-11-01T06:00:00.000Z');
    expect(mailHeader(mail.raw, 'From')).toBe('Tallyhouse <reports@localhost>');
    expect(mailHeader(mail.raw, 'X-Tallyhouse-Run')).toBe(sampleContext.runId);
    const text = mailText(mail.raw);
    expect(text).toContain('Report:        account-usage');
    expect(text).toContain('Rows:          1,234');
    expect(text).toContain('Scheduled for: 2026-11-01T06:00:00.000Z');
    expect(text).toContain(`SHA-256:       ${file.sha256}`);
    expect(text).not.toContain(sampleContext.downloadUrl);
    const attachments = mailAttachments(mail.raw);
    expect(attachments).toHaveLength(1);
    expect(attachments[0].fileName).toBe('account-usage-2026-10-01.xlsx');
    expect(attachments[0].bytes.equals(Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256)))).toBe(true);
  });

  it('sends the signed link instead of a file over maxAttachmentBytes, under the target subject', async () => {
    const result = await service({ maxAttachmentBytes: 1024 }).deliver(
      { type: 'email', to: ['board@example.org'], subject: 'Usage for the board' },
      file,
      sampleContext,
    );

    expect(result).toMatchObject({ ok: true, attempts: 1, mode: 'link' });
    const [mail] = smtp.messages;
    expect(mailHeader(mail.raw, 'Subject')).toBe('Usage for the board');
    expect(mailAttachments(mail.raw)).toEqual([]);
    const text = mailText(mail.raw);
    expect(text).toContain(sampleContext.downloadUrl);
    expect(text).toContain('too large to attach');
  });

  it("tells a schedule's owner that a run failed", async () => {
    await service().notifyFailure('owner@example.org', sampleContext, 'webhook https://hooks.example/in: answered 503');

    const [mail] = smtp.messages;
    expect(mail.to).toEqual(['owner@example.org']);
    expect(mailHeader(mail.raw, 'Subject')).toBe('Monthly usage: run failed for 2026-11-01T06:00:00.000Z');
    const text = mailText(mail.raw);
    expect(text).toContain(sampleContext.runId);
    expect(text).toContain('webhook https://hooks.example/in: answered 503');
  });

  it('fails after every attempt when the server refuses the recipient, saying why and not the password', async () => {
    smtp.refuse.add('gone@example.org');

    const result = await service().deliver({ type: 'email', to: ['gone@example.org'] }, file, sampleContext);

    expect(result).toMatchObject({ target: 'email to gone@example.org', ok: false, attempts: 3 });
    expect(result.error).toContain('all recipients were rejected');
    expect(result.error).toContain('550');
    expect(smtp.recipientsTried).toEqual(['gone@example.org', 'gone@example.org', 'gone@example.org']);
    expect(smtp.messages).toEqual([]);
    expect(logs).toHaveLength(2);
    expect(JSON.stringify([result, logs])).not.toContain(PASSWORD);
  });

  it('retries only the recipients the server refused: the others get the report once', async () => {
    smtp.refuse.add('gone@example.org');

    const result = await service().deliver(
      { type: 'email', to: ['board@example.org', 'gone@example.org'] },
      file,
      sampleContext,
    );

    expect(result).toMatchObject({ ok: false, attempts: 3 });
    expect(result.error).toContain('gone@example.org');
    expect(smtp.messages.map((m) => m.to)).toEqual([['board@example.org']]);
    expect(smtp.recipientsTried).toEqual([
      'board@example.org',
      'gone@example.org',
      'gone@example.org',
      'gone@example.org',
    ]);
  });

  it('fails at once, saying so, when SMTP is not configured', async () => {
    const unconfigured = new DeliveryService({ attempts: 3, baseDelayMs: 1 });

    const result = await unconfigured.deliver({ type: 'email', to: ['board@example.org'] }, file, sampleContext);

    expect(result).toEqual({
      target: 'email to board@example.org',
      ok: false,
      attempts: 1,
      error: SMTP_NOT_CONFIGURED,
    });
    expect(SMTP_NOT_CONFIGURED).toBe('SMTP is not configured: set SMTP_URL');
    await expect(unconfigured.notifyFailure('owner@example.org', sampleContext, 'boom')).rejects.toThrow(
      SMTP_NOT_CONFIGURED,
    );
  });

  it('fails with the reason, after the configured attempts, when the SMTP server cannot be reached', async () => {
    const closed = await startSmtpServer();
    await closed.close();
    const unreachable = new DeliveryService({
      smtpUrl: `smtp://reports:${PASSWORD}@127.0.0.1:${closed.port}`,
      attempts: 2,
      baseDelayMs: 1,
    });

    const result = await unreachable.deliver({ type: 'email', to: ['board@example.org'] }, file, sampleContext);

    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.error).toContain('ECONNREFUSED');
    await expect(unreachable.notifyFailure('owner@example.org', sampleContext, 'boom')).rejects.toThrow(
      /ECONNREFUSED.*\(2 attempts\)/,
    );
  });
});
