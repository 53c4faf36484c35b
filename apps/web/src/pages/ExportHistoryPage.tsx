import { getJson } from '../api/client';
import type { ExportAuditEntry } from '../api/types';
import { DataTable } from '../components/DataTable';
import { Empty, ErrorNote, Loading } from '../components/States';
import { formatInstant } from '../format';
import { useAsync } from '../useAsync';

const COLUMNS = ['at', 'action', 'report', 'format', 'encrypted', 'rows', 'reason', 'actor', 'tenant_id'].map(
  (name) => ({ name, type: name === 'rows' ? 'integer' : 'string' }),
);

/** Every export started and every file downloaded, newest first (GET /v1/exports/history). */
export function ExportHistoryPage({ tenant }: { tenant: string | null }) {
  const query: Record<string, string> = tenant ? { tenant, limit: '200' } : { limit: '200' };
  const [history] = useAsync(
    () => getJson<{ entries: ExportAuditEntry[] }>('/v1/exports/history', query),
    JSON.stringify(query),
  );
  return (
    <article>
      <h1>Export history</h1>
      {history.status === 'loading' && <Loading what="the export history" />}
      {history.status === 'error' && <ErrorNote error={history.error} />}
      {history.status === 'ok' &&
        (history.value.entries.length === 0 ? (
          <Empty>No exports yet.</Empty>
        ) : (
          <DataTable
            columns={COLUMNS}
            rows={history.value.entries.map((e) => ({
              ...e,
              at: formatInstant(e.at),
              encrypted: e.encrypted ? 'yes' : 'no',
            }))}
          />
        ))}
    </article>
  );
}
