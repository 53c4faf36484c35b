import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  HttpException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '@tallyhouse/config';
import { MetricsService } from '@tallyhouse/observability';
import type { Response } from 'express';
import { Counter } from 'prom-client';
import { type AuthedRequest, PUBLIC_ROUTE, ROLES_KEY } from './auth.decorators';
import { AuthRefusals } from './auth-refusals';
import { FailureLimiter } from './failure-limiter';
import { KeyStore } from './key.store';
import type { Role } from './roles';

/**
 * One answer for every key that does not work, so a caller cannot tell an
 * unknown key from a revoked or expired one (which would confirm that a
 * prefix once existed); the reason is kept in the metrics and the log.
 */
const MISSING = 'an API key is required: send Authorization: Bearer KEY';
const NOT_VALID = 'the API key is not valid (unknown, revoked or expired)';

/**
 * Every route the router chose needs `Authorization: Bearer KEY` unless its
 * handler or controller is @Public() (health, metrics, signed links). The
 * decision is the handler's mark, never the path as spelled (case, slashes,
 * encodings): a route is closed unless it was opened on purpose. The web
 * page's files and /docs are served outside the router and hold no data.
 * 401 for a missing, unknown, revoked or expired key; 403 for a role the route
 * does not name; 429 once an address has failed too often in a minute.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly limiter: FailureLimiter;
  private readonly failures: Counter<'reason'>;

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: KeyStore,
    private readonly refusals: AuthRefusals,
    config: AppConfig,
    metrics: MetricsService,
  ) {
    this.limiter = new FailureLimiter(config.AUTH_MAX_FAILURES_PER_MINUTE);
    this.failures = new Counter({
      name: 'tallyhouse_auth_failures_total',
      help: 'Requests refused for their key (missing, unknown, revoked, expired) or rate-limited (limited)',
      labelNames: ['reason'] as const,
      registers: [metrics.registry],
    });
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const address = req.ip ?? req.socket.remoteAddress ?? '';
    const wait = this.limiter.blockedFor(address);
    if (wait > 0) {
      this.failures.inc({ reason: 'limited' });
      ctx.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(wait));
      throw new HttpException(
        { statusCode: 429, message: `too many failed authentications from this address; retry in ${wait} s` },
        429,
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const check = match ? await this.keys.check(match[1]) : ({ ok: false, reason: 'missing' } as const);
    if (!check.ok) {
      // Only a presented key is a guess: a page that has no key yet must not lock its user out.
      if (check.reason !== 'missing') this.limiter.fail(address);
      this.failures.inc({ reason: check.reason });
      throw new UnauthorizedException({ statusCode: 401, message: check.reason === 'missing' ? MISSING : NOT_VALID });
    }
    const principal = check.principal;
    req.principal = principal;
    if (principal.role === 'admin') return true;
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (allowed.includes(principal.role)) return true;
    const reason = `a ${principal.role} key may not ${req.method} ${req.route?.path ?? req.path}`;
    await this.refusals.refused({ principal, request: req, reason });
    throw new ForbiddenException({ statusCode: 403, message: reason });
  }
}
