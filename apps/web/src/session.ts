import { useCallback, useEffect, useState } from 'react';
import { ApiError, apiKey, getJson, handleUnauthorized } from './api/client';
import type { Me, Role, Tenant } from './api/types';

export type Session =
  { state: 'loading' } | { state: 'needs-key'; message: string } | { state: 'ready'; me: Me; keyless: boolean };

/**
 * Who the key is (GET /v1/auth/me). A server without keys (404 there: auth not installed) is used
 * as it is, with every page shown; the server, not the page, decides what a caller may do.
 */
export function useSession(): { session: Session; signIn: (key: string) => void; signOut: () => void } {
  const [session, setSession] = useState<Session>({ state: 'loading' });

  const check = useCallback(async () => {
    setSession({ state: 'loading' });
    const keySent = apiKey.get() !== null;
    try {
      const me = await getJson<Me>('/v1/auth/me');
      setSession({ state: 'ready', me, keyless: false });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        setSession({ state: 'ready', me: OPEN_SERVER, keyless: true });
      } else if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        // A key the server refused: say why; no key yet: just ask for one.
        apiKey.clear();
        setSession({ state: 'needs-key', message: keySent ? err.message : '' });
      } else {
        setSession({ state: 'needs-key', message: err instanceof Error ? err.message : String(err) });
      }
    }
  }, []);

  useEffect(() => {
    handleUnauthorized((message) => {
      apiKey.clear();
      setSession({ state: 'needs-key', message });
    });
    void check();
  }, [check]);

  const signIn = useCallback(
    (key: string) => {
      apiKey.set(key.trim());
      void check();
    },
    [check],
  );
  const signOut = useCallback(() => {
    apiKey.clear();
    setSession({ state: 'needs-key', message: '' });
  }, []);
  return { session, signIn, signOut };
}

const OPEN_SERVER: Me = { key_prefix: '', role: 'admin', tenant: null, name: 'no keys on this server' };

export const canUseSql = (role: Role): boolean => role === 'analyst' || role === 'manager' || role === 'admin';

/** The tenants an admin can pick: GET /v1/tenants, else the tenant ids that have data (GET /v1/stats). */
export async function loadTenants(): Promise<Tenant[]> {
  try {
    const list = await getJson<Tenant[] | { tenants: Tenant[] }>('/v1/tenants');
    return Array.isArray(list) ? list : list.tenants;
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
    const stats = await getJson<{ rows: { tenant_id: string }[] }>('/v1/stats', {
      from: new Date(Date.now() - 730 * 86_400_000).toISOString().slice(0, 10),
    });
    const ids = [...new Set(stats.rows.map((r) => r.tenant_id))].sort();
    return ids.map((id) => ({ id, name: id, time_zone: '' }));
  }
}
