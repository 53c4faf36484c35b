import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { getJson } from './api/client';
import type { Me, ReportCatalog, Tenant } from './api/types';
import { ErrorNote, Loading } from './components/States';
import { KeyForm } from './KeyForm';
import { ExportHistoryPage } from './pages/ExportHistoryPage';
import { HealthPage } from './pages/HealthPage';
import { REPORT_FAMILIES } from './reports/families';
import { ReportPage } from './reports/ReportPage';
import { replaceQuery, routeHref, useRoute, type Route } from './route';
import { SchedulesPage } from './schedules/SchedulesPage';
import { canUseSql, loadTenants, useSession } from './session';
import { useAsync } from './useAsync';

// The SQL editor (CodeMirror) is loaded only by those who open the SQL page.
const SqlPage = lazy(() => import('./sql/SqlPage').then((m) => ({ default: m.SqlPage })));

export function App() {
  const { session, signIn, signOut } = useSession();
  if (session.state === 'loading') return <Loading what="Tallyhouse" />;
  if (session.state === 'needs-key') return <KeyForm message={session.message} onKey={signIn} />;
  return <Shell me={session.me} keyless={session.keyless} onSignOut={signOut} />;
}

interface NavItem {
  path: string;
  title: string;
}

function Shell({ me, keyless, onSignOut }: { me: Me; keyless: boolean; onSignOut: () => void }) {
  const route = useRoute();
  const [catalog] = useAsync(() => getJson<ReportCatalog>('/v1/reports'), 'catalog');
  const isAdmin = me.role === 'admin';
  const [tenants, setTenants] = useState<Tenant[]>([]);
  useEffect(() => {
    if (isAdmin) loadTenants().then(setTenants, () => setTenants([]));
  }, [isAdmin]);

  // An admin names the tenant (kept in the URL); any other key is its tenant.
  const tenant = isAdmin ? (route.query.get('tenant') ?? tenants[0]?.id ?? '') : null;
  // The tenant's zone dates the presets ("last 7 days" ends today there); without GET /v1/tenants
  // it is learnt from the first report answered in the tenant's default zone.
  const [learntZones, setLearntZones] = useState<Record<string, string>>({});
  const zoneKey = tenant ?? '';
  const tenantZone = tenants.find((t) => t.id === tenant)?.time_zone || learntZones[zoneKey] || '';
  const learnZone = useCallback(
    (zone: string) => setLearntZones((z) => (z[zoneKey] === zone ? z : { ...z, [zoneKey]: zone })),
    [zoneKey],
  );

  const nav: NavItem[] = [
    ...REPORT_FAMILIES.map((f) => ({ path: `/reports/${f.slug}`, title: f.title })),
    ...(canUseSql(me.role) ? [{ path: '/sql', title: 'SQL' }] : []),
    { path: '/exports', title: 'Export history' },
    { path: '/schedules', title: 'Schedules' },
    { path: '/health', title: 'Ingest health' },
  ];
  const path = route.path === '/' ? nav[0].path : route.path;
  const [menuOpen, setMenuOpen] = useState(false);
  const carry: Record<string, string> = isAdmin && tenant ? { tenant } : {};

  return (
    <div className="shell">
      <a className="skip" href="#content" onClick={skipToContent}>
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href={routeHref(nav[0].path, carry)}>
          Tallyhouse
        </a>
        {/* At phone width the pages fold behind this button (CSS shows it there only). */}
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="pages-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          ☰ {nav.find((n) => n.path === path)?.title ?? 'Pages'}
        </button>
        <nav id="pages-nav" aria-label="Pages" className={menuOpen ? 'open' : undefined}>
          {nav.map((n) => (
            <a
              key={n.path}
              href={routeHref(n.path, carry)}
              aria-current={n.path === path ? 'page' : undefined}
              onClick={() => setMenuOpen(false)}
            >
              {n.title}
            </a>
          ))}
        </nav>
        <div className="who">
          {isAdmin && <TenantPicker tenants={tenants} value={tenant ?? ''} route={route} />}
          <span title={me.key_prefix}>
            {me.name} · {me.role}
            {me.tenant ? ` · ${me.tenant}` : ''}
          </span>
          {!keyless && (
            <button type="button" onClick={onSignOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <main id="content" tabIndex={-1}>
        {catalog.status === 'loading' && <Loading what="the reports" />}
        {catalog.status === 'error' && <ErrorNote error={catalog.error} />}
        {catalog.status === 'ok' && (
          <Page
            path={path}
            route={route}
            me={me}
            tenant={tenant}
            tenantZone={tenantZone}
            onTenantZone={learnZone}
            catalog={catalog.value}
          />
        )}
      </main>
    </div>
  );
}

/** The hash holds the route, so the skip link moves focus instead of navigating. */
function skipToContent(e: { preventDefault: () => void }) {
  e.preventDefault();
  document.getElementById('content')?.focus();
}

function Page(props: {
  path: string;
  route: Route;
  me: Me;
  tenant: string | null;
  tenantZone: string;
  onTenantZone: (zone: string) => void;
  catalog: ReportCatalog;
}) {
  const { path, route, me, tenant, tenantZone, onTenantZone, catalog } = props;
  const family = REPORT_FAMILIES.find((f) => path === `/reports/${f.slug}`);
  if (family) {
    return (
      <ReportPage
        key={family.slug}
        family={family}
        catalog={catalog.reports}
        route={route}
        tenant={tenant}
        tenantZone={tenantZone}
        onTenantZone={onTenantZone}
      />
    );
  }
  if (path === '/sql') {
    return canUseSql(me.role) ? (
      <Suspense fallback={<Loading what="the SQL editor" />}>
        <SqlPage tenant={tenant} />
      </Suspense>
    ) : (
      <ErrorNote error={new Error('SQL needs an analyst key.')} />
    );
  }
  if (path === '/exports') return <ExportHistoryPage tenant={tenant} />;
  if (path === '/schedules') return <SchedulesPage catalog={catalog.reports} tenant={tenant} />;
  if (path === '/health') return <HealthPage tenant={tenant} />;
  return <ErrorNote error={new Error(`No page at ${path}.`)} />;
}

function TenantPicker({ tenants, value, route }: { tenants: Tenant[]; value: string; route: Route }) {
  const pick = (id: string) => replaceQuery(route.path, { ...Object.fromEntries(route.query), tenant: id });
  if (tenants.length === 0) {
    return (
      <label className="tenant">
        <span>Tenant</span>
        <input name="tenant" value={value} onChange={(e) => pick(e.target.value)} placeholder="tenant id" />
      </label>
    );
  }
  return (
    <label className="tenant">
      <span>Tenant</span>
      <select name="tenant" value={value} onChange={(e) => pick(e.target.value)}>
        {tenants.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}
