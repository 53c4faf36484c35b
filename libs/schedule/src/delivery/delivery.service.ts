import { Logger } from '@nestjs/common';
import { stat } from 'node:fs/promises';
import { errorText, redact, urlSecrets } from './delivery-errors';
import { resolveDeliveryOptions, type DeliveryOptions, type ResolvedDeliveryOptions } from './delivery-options';
import { describeTarget, isEmailAddress, targetProblem } from './delivery-targets';
import type {
  DeliveryContext,
  DeliveryFile,
  DeliveryOutcome,
  DeliveryResult,
  DeliveryRetry,
  DeliveryTarget,
  EmailTarget,
} from './delivery.types';
import { EmailDelivery, RecipientsRefusedError } from './email-delivery';
import { FolderDelivery } from './folder-delivery';
import { TargetConfinement } from './target-confinement';
import { withRetries, type RetryPolicy } from './retry';
import { WebhookDelivery } from './webhook-delivery';

/**
 * Delivers a run's file to one target (a folder, email recipients, a webhook),
 * trying again with exponential backoff, and says how it went. A failed
 * delivery is a result (ok: false, the last error), never an exception.
 * Results and logs name targets without credentials, and any secret (SMTP
 * password, webhook secret, URL tokens) a library's message quotes is masked.
 */
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);
  private readonly options: ResolvedDeliveryOptions;
  /** Where folder and webhook targets may reach; also checked when a schedule is made. */
  readonly confinement: TargetConfinement;
  private readonly folder: FolderDelivery;
  private readonly email: EmailDelivery;
  private readonly webhook: WebhookDelivery;
  private readonly smtpSecrets: string[];

  constructor(options: DeliveryOptions = {}) {
    this.options = resolveDeliveryOptions(options);
    this.confinement = new TargetConfinement(this.options);
    this.folder = new FolderDelivery(this.confinement);
    this.email = new EmailDelivery(this.options);
    this.webhook = new WebhookDelivery(this.options, this.confinement);
    this.smtpSecrets = this.options.smtpUrl ? urlSecrets(this.options.smtpUrl) : [];
  }

  async deliver(target: DeliveryTarget, file: DeliveryFile, ctx: DeliveryContext): Promise<DeliveryResult> {
    const problem = targetProblem(target, 'target');
    if (problem) return { target: roughDescription(target), ok: false, attempts: 0, error: problem };
    const description = describeTarget(target);
    // Checked again at every delivery: a link, a DNS answer or the configuration may have changed since.
    const refused = await this.confinement.targetProblem(target, 'target');
    if (refused) return { target: description, ok: false, attempts: 0, error: refused };
    const missing = await stat(file.path).then(
      (found) => (found.isFile() ? null : `${file.path} is not a file`),
      (err: unknown) => `the file to deliver cannot be read: ${errorText(err)}`,
    );
    if (missing) return { target: description, ok: false, attempts: 0, error: missing };

    const secrets = this.secretsOf(target);
    // Each failed try that was tried again, for the run's history.
    const retried: DeliveryRetry[] = [];
    const tried = await withRetries(this.attempt(target, file, ctx), this.policy, (attempt, error, delayMs) => {
      const reason = redact(errorText(error), secrets);
      retried.push({ attempt, at: new Date().toISOString(), error: reason, retry_after_ms: delayMs });
      this.logger.warn(
        `${description}: attempt ${attempt} of ${this.policy.attempts} failed (${reason}); trying again in ${delayMs} ms`,
      );
    });
    const history = retried.length ? { retries: retried } : {};
    if (tried.ok) {
      const { mode, location } = tried.value;
      return {
        target: description,
        ok: true,
        attempts: tried.attempts,
        mode,
        ...(location ? { location } : {}),
        ...history,
      };
    }
    const error = redact(errorText(tried.error), secrets);
    return { target: description, ok: false, attempts: tried.attempts, error, ...history };
  }

  /** Emails `to` (a schedule's owner) that a run failed; throws when that cannot be sent, after retries. */
  async notifyFailure(to: string, ctx: DeliveryContext, error: string): Promise<void> {
    if (!isEmailAddress(to)) throw new Error(`${JSON.stringify(to)} is not an email address`);
    const tried = await withRetries(() => this.email.sendFailureNotice(to, ctx, error), this.policy);
    if (!tried.ok) {
      const reason = redact(errorText(tried.error), this.smtpSecrets);
      throw new Error(`${reason} (${tried.attempts} ${tried.attempts === 1 ? 'attempt' : 'attempts'})`);
    }
  }

  /** Closes the SMTP transport (nothing stays open between messages; for tidy shutdowns). */
  close(): void {
    this.email.close();
  }

  private get policy(): RetryPolicy {
    return { attempts: this.options.attempts, baseDelayMs: this.options.baseDelayMs };
  }

  /** One try at `target`; called again for each retry. */
  private attempt(target: DeliveryTarget, file: DeliveryFile, ctx: DeliveryContext): () => Promise<DeliveryOutcome> {
    switch (target.type) {
      case 'folder':
        return () => this.folder.deliver(target, file);
      case 'webhook':
        return () => this.webhook.deliver(target, file, ctx);
      case 'email':
        return this.emailAttempt(target, file, ctx);
    }
  }

  /** Retries go only to the recipients the server refused: the others already have the report. */
  private emailAttempt(target: EmailTarget, file: DeliveryFile, ctx: DeliveryContext): () => Promise<DeliveryOutcome> {
    let pending: readonly string[] = target.to;
    return async () => {
      try {
        return await this.email.send(target, pending, file, ctx);
      } catch (err) {
        if (err instanceof RecipientsRefusedError) pending = err.refused;
        throw err;
      }
    };
  }

  private secretsOf(target: DeliveryTarget): string[] {
    switch (target.type) {
      case 'email':
        return this.smtpSecrets;
      case 'webhook':
        return [...urlSecrets(target.url), target.secret ?? ''];
      case 'folder':
        return [];
    }
  }
}

/** A target that failed validation, named without any of its fields (a bad URL may still hold a token). */
function roughDescription(target: unknown): string {
  const type = typeof target === 'object' && target !== null ? (target as { type?: unknown }).type : undefined;
  return type === 'folder' || type === 'email' || type === 'webhook' ? `${type} target` : 'unknown target';
}
