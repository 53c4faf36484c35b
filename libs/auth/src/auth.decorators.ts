import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
export { Public, PUBLIC_ROUTE } from '@tallyhouse/http';
import type { Principal, Role } from './roles';

export const ROLES_KEY = 'tallyhouse:roles';

/**
 * The roles (besides admin, who may do everything) that may call a route. A
 * route without @Roles (and not @Public) is for admins only, so a new endpoint is closed
 * until someone opens it on purpose.
 */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export type AuthedRequest = Request & { principal?: Principal };

/** The caller the guard authenticated. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<AuthedRequest>();
  if (!req.principal) throw new Error('no principal on the request: is the route @Public()?');
  return req.principal;
});
