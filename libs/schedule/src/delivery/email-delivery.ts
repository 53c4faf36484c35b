import { createTransport, type SendMailOptions, type Transporter } from 'nodemailer';
import { PermanentDeliveryError } from './delivery-errors';
import type { ResolvedDeliveryOptions } from './delivery-options';
import type { DeliveryContext, DeliveryFile, DeliveryOutcome, EmailTarget } from './delivery.types';

export const SMTP_NOT_CONFIGURED = 'SMTP is not configured: set SMTP_URL';

/** Some recipients were refused by the SMTP server; the others got the message. */
export class RecipientsRefusedError extends Error {
  constructor(
    readonly refused: string[],
    reason: string,
  ) {
    super(`the SMTP server refused ${refused.join(', ')}${reason ? `: ${reason}` : ''}`);
  }
}

type EmailOptions = Pick<ResolvedDeliveryOptions, 'smtpUrl' | 'smtpFrom' | 'maxAttachmentBytes' | 'timeoutMs'>;

/**
 * Reports and failure notices by SMTP (nodemailer, one connection per
 * message): the file attached when it is at most maxAttachmentBytes, else the
 * signed link in the text, since mail servers commonly refuse 10–25 MB.
 */
export class EmailDelivery {
  private transport?: Transporter;

  constructor(private readonly options: EmailOptions) {}

  /** Sends the report to `to` (some of target.to, on a retry); throws RecipientsRefusedError when some were refused. */
  async send(
    target: EmailTarget,
    to: readonly string[],
    file: DeliveryFile,
    ctx: DeliveryContext,
  ): Promise<DeliveryOutcome> {
    const attach = file.bytes <= this.options.maxAttachmentBytes;
    const message: SendMailOptions = {
      to: [...to],
      subject: oneLine(target.subject ?? `${ctx.scheduleName}: ${ctx.report} for ${ctx.scheduledFor}`),
      text: reportText(file, ctx, attach ? null : this.options.maxAttachmentBytes),
      headers: runHeaders(ctx),
      attachments: attach ? [{ filename: file.fileName, path: file.path, contentType: file.contentType }] : [],
    };
    const info = await this.sendMail(message);
    const refused = (info.rejected ?? []).map(String);
    if (refused.length > 0) {
      const reasons = (info.rejectedErrors ?? []).map((e) => e.response ?? e.message);
      throw new RecipientsRefusedError(refused, reasons.join('; '));
    }
    return { mode: attach ? 'attachment' : 'link' };
  }

  /** Tells a schedule's owner that a run failed and why. */
  async sendFailureNotice(to: string, ctx: DeliveryContext, error: string): Promise<void> {
    await this.sendMail({
      to,
      subject: oneLine(`${ctx.scheduleName}: run failed for ${ctx.scheduledFor}`),
      text: failureText(ctx, error),
      headers: runHeaders(ctx),
    });
  }

  private async sendMail(message: SendMailOptions): Promise<SentInfo> {
    return (await this.transporter().sendMail({ from: this.options.smtpFrom, ...message })) as SentInfo;
  }

  private transporter(): Transporter {
    if (!this.options.smtpUrl) throw new PermanentDeliveryError(SMTP_NOT_CONFIGURED);
    this.transport ??= createTransport({
      url: this.options.smtpUrl,
      connectionTimeout: this.options.timeoutMs,
      greetingTimeout: this.options.timeoutMs,
      socketTimeout: this.options.timeoutMs,
    });
    return this.transport;
  }

  close(): void {
    this.transport?.close();
    this.transport = undefined;
  }
}

/** What an SMTP send reports about the recipients (nodemailer's info, as far as it is used). */
interface SentInfo {
  rejected?: unknown[];
  rejectedErrors?: { message: string; response?: string }[];
}

/** Mark the message as machine-sent (RFC 3834: no auto-replies) and say which run it is. */
function runHeaders(ctx: DeliveryContext): Record<string, string> {
  return {
    'Auto-Submitted': 'auto-generated',
    'X-Tallyhouse-Schedule': oneLine(ctx.scheduleId),
    'X-Tallyhouse-Run': oneLine(ctx.runId),
  };
}

function reportText(file: DeliveryFile, ctx: DeliveryContext, tooLargeOver: number | null): string {
  const lines = [
    `${ctx.scheduleName}`,
    '',
    `Report:        ${ctx.report}`,
    `Scheduled for: ${ctx.scheduledFor}`,
    `Rows:          ${file.rows.toLocaleString('en-US')}`,
    `File:          ${file.fileName} (${formatBytes(file.bytes)})`,
    `SHA-256:       ${file.sha256}`,
    '',
  ];
  if (tooLargeOver === null) {
    lines.push('The file is attached.');
  } else {
    lines.push(
      `The file is larger than ${formatBytes(tooLargeOver)}, too large to attach. Download it (the link expires):`,
      '',
      ctx.downloadUrl,
    );
  }
  return lines.join('\n') + '\n';
}

function failureText(ctx: DeliveryContext, error: string): string {
  return [
    `The scheduled report "${ctx.scheduleName}" failed for ${ctx.scheduledFor}.`,
    '',
    `Report:   ${ctx.report}`,
    `Schedule: ${ctx.scheduleId}`,
    `Run:      ${ctx.runId}`,
    '',
    'What went wrong:',
    error || '(no message)',
    '',
  ].join('\n');
}

/** Header-safe: line breaks (from a schedule name, say) become spaces. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').trim();
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
