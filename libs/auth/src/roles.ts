/** Who may do what. `admin` may do everything, for any tenant; the others act for their own tenant only. */
export const ROLES = ['admin', 'manager', 'analyst', 'viewer', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that read reports (and the stats): everyone but an ingest key. */
export const REPORT_READERS: readonly Role[] = ['manager', 'analyst', 'viewer'];

/**
 * Roles a manager may hand out for its own tenant: lower ones only, so a
 * manager cannot mint a key above itself.
 */
export const MANAGER_GRANTS: readonly Role[] = ['analyst', 'viewer', 'ingest'];

/** The caller of a request or command, as its key (or the local owner) says. */
export interface Principal {
  /** The key's visible prefix (th_xxxxxxxx), or 'local' for the data directory's owner on the CLI. */
  prefix: string;
  role: Role;
  /** The key's tenant; null for admin keys, which act for any tenant they name. */
  tenant: string | null;
  name: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** How the caller shows in audit trails and logs: prefix and name. */
export function actorName(p: Principal): string {
  return p.name ? `${p.prefix} (${p.name})` : p.prefix;
}
