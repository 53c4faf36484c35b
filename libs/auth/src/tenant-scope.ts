import { ForbiddenException } from '@nestjs/common';
import type { Principal } from './roles';

/** A request that names a tenant the caller may not act for. */
export class TenantForbiddenError extends ForbiddenException {
  constructor(message: string) {
    super({ statusCode: 403, message });
  }
}

/**
 * The tenant a call acts for. A tenant key acts for its own tenant (the
 * parameter may be left out; naming another is 403). An admin key must name
 * one, unless `adminMayOmit` (lists across tenants): then null = every tenant.
 */
export function tenantFor(principal: Principal, requested: unknown, opts: { adminMayOmit: true }): string | null;
export function tenantFor(principal: Principal, requested: unknown, opts?: { adminMayOmit?: false }): string;
export function tenantFor(
  principal: Principal,
  requested: unknown,
  opts: { adminMayOmit?: boolean } = {},
): string | null {
  const named = typeof requested === 'string' && requested !== '' ? requested : undefined;
  if (requested !== undefined && requested !== '' && named === undefined) {
    throw new TenantForbiddenError('tenant must be one tenant id');
  }
  if (principal.tenant === null) {
    if (named !== undefined) return named;
    if (opts.adminMayOmit) return null;
    throw new TenantForbiddenError('an admin key acts for any tenant: name one with tenant');
  }
  if (named !== undefined && named !== principal.tenant) {
    throw new TenantForbiddenError(`this key is for tenant ${principal.tenant}, not ${named}`);
  }
  return principal.tenant;
}

/** Whether the caller may see a thing of `tenant` (admins see all). */
export function mayAccess(principal: Principal, tenant: string): boolean {
  return principal.tenant === null || principal.tenant === tenant;
}
