import type { INestApplicationContext } from '@nestjs/common';
import { userInfo } from 'node:os';
import {
  isRole,
  isTimeZone,
  KeyStore,
  type Principal,
  type Role,
  ROLES,
  TENANT_ID,
  tenantFor,
  TenantForbiddenError,
  TenantStore,
} from '@tallyhouse/auth';
import { out, UsageError, withContext } from './context';
import { CliAuthModule } from './modules';

/**
 * The CLI runs as the data directory's owner: it opened the engine itself, so
 * it may do anything (this is how the first admin key is made). With --key or
 * TALLYHOUSE_KEY it acts as that key instead, checked like HTTP.
 */
export function localOwner(): Principal {
  return { prefix: 'local', role: 'admin', tenant: null, name: `cli:${userInfo().username}` };
}

/** The caller of a command: the key given (checked), or the local owner. Exit 2 for a bad key. */
export async function cliPrincipal(app: INestApplicationContext, key: string | undefined): Promise<Principal> {
  const given = key ?? (process.env.TALLYHOUSE_KEY || undefined);
  if (!given) return localOwner();
  const check = await app.get(KeyStore).check(given);
  if (!check.ok) {
    const why = { malformed: 'is not valid', unknown: 'is not valid', revoked: 'was revoked', expired: 'has expired' };
    throw new UsageError(`the API key ${why[check.reason]} (from ${key ? '--key' : 'TALLYHOUSE_KEY'})`);
  }
  return check.principal;
}

/** Refuses a key whose role is not among `roles` (admin always passes), and scopes `tenant` to the key. */
export function authorize(who: Principal, roles: readonly Role[], tenant: unknown, action: string): string | undefined {
  if (who.prefix === 'local') return typeof tenant === 'string' ? tenant : undefined;
  if (who.role !== 'admin' && !roles.includes(who.role)) {
    throw new UsageError(`a ${who.role} key may not ${action}`);
  }
  try {
    return tenantFor(who, tenant);
  } catch (err) {
    if (err instanceof TenantForbiddenError) throw new UsageError((err.getResponse() as { message: string }).message);
    throw err;
  }
}

export interface KeyCreateOptions {
  role: string;
  tenant?: string;
  name?: string;
  expiresDays?: string;
}

export async function keysCreateCommand(opts: KeyCreateOptions): Promise<number> {
  if (!isRole(opts.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  const role = opts.role;
  if (role === 'admin' && opts.tenant) throw new UsageError('an admin key is for every tenant: leave out --tenant');
  if (role !== 'admin' && !opts.tenant) throw new UsageError(`a ${role} key needs --tenant`);
  const days = opts.expiresDays === undefined ? undefined : Number(opts.expiresDays);
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) {
    throw new UsageError('--expires-days must be a whole number of days, 1 to 3650');
  }
  return withContext(CliAuthModule, async (app) => {
    if (opts.tenant && !(await app.get(TenantStore).get(opts.tenant))) {
      throw new UsageError(`no tenant ${opts.tenant} (add it with \`tenants add\`)`);
    }
    const made = await app.get(KeyStore).create({
      role,
      tenant: opts.tenant ?? null,
      name: opts.name ?? '',
      expiresDays: days,
      createdBy: localOwner().name,
    });
    out(made.key);
    process.stderr.write(
      `${made.prefix}: ${role}${made.tenant ? ` of ${made.tenant}` : ''}` +
        `${made.expires_at ? `, expires ${made.expires_at}` : ''}. Shown once: it is stored only as a hash.\n`,
    );
    return 0;
  });
}

export async function keysListCommand(opts: { tenant?: string }): Promise<number> {
  return withContext(CliAuthModule, async (app) => {
    const keys = await app.get(KeyStore).list(opts.tenant ?? null);
    for (const k of keys) {
      out(
        [
          k.prefix,
          k.role.padEnd(7),
          (k.tenant ?? '*').padEnd(20),
          k.status.padEnd(7),
          k.expires_at ?? '-',
          k.name,
        ].join('  '),
      );
    }
    return 0;
  });
}

export async function keysRevokeCommand(prefix: string): Promise<number> {
  return withContext(CliAuthModule, async (app) => {
    const key = await app.get(KeyStore).revoke(prefix);
    if (!key) throw new UsageError(`no key ${prefix}`);
    out(`${prefix} revoked`);
    return 0;
  });
}

export async function tenantsAddCommand(id: string, opts: { name?: string; tz?: string }): Promise<number> {
  if (!TENANT_ID.test(id)) throw new UsageError('the tenant id must be letters, digits, ".", "_" or "-"');
  const zone = opts.tz ?? 'UTC';
  if (!isTimeZone(zone)) throw new UsageError(`--tz must be an IANA time zone, got "${zone}"`);
  return withContext(CliAuthModule, async (app) => {
    const t = await app.get(TenantStore).upsert(id, opts.name ?? id, zone);
    out(`${t.id}  ${t.time_zone}  ${t.name}`);
    return 0;
  });
}

export async function tenantsListCommand(): Promise<number> {
  return withContext(CliAuthModule, async (app) => {
    for (const t of await app.get(TenantStore).list()) out(`${t.id.padEnd(24)} ${t.time_zone.padEnd(22)} ${t.name}`);
    return 0;
  });
}
