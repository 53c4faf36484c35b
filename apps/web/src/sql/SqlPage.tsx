import { useMemo, useState } from 'react';
import { download, getJson, postJson } from '../api/client';
import type { SqlResult, SqlTables } from '../api/types';
import { DataTable } from '../components/DataTable';
import { Empty, ErrorNote, Loading } from '../components/States';
import { formatNumber, formatTimeOfDay } from '../format';
import { useAsync, type Async } from '../useAsync';
import { SqlEditor } from './SqlEditor';

const EXAMPLE = `SELECT type, count() AS events, uniqExact(contact_id) AS contacts
FROM events
WHERE occurred_at >= now() - INTERVAL 30 DAY
GROUP BY type
ORDER BY events DESC`;

/** Ad hoc SQL for analysts: the editor, the documented tables beside it, the result and its download. */
export function SqlPage({ tenant }: { tenant: string | null }) {
  const [text, setText] = useState(EXAMPLE);
  const [result, setResult] = useState<Async<SqlResult> | null>(null);
  const [tables] = useAsync(() => getJson<SqlTables>('/v1/sql/tables'), 'tables');
  const schema = useMemo(
    () =>
      tables.status === 'ok'
        ? Object.fromEntries(tables.value.tables.map((t) => [t.name, t.columns.map((c) => c.name)]))
        : {},
    [tables],
  );
  const body = (format: 'json' | 'csv' | 'xlsx') => ({ sql: text, format, ...(tenant ? { tenant } : {}) });

  const run = async () => {
    setResult({ status: 'loading' });
    try {
      setResult({ status: 'ok', value: await postJson<SqlResult>('/v1/sql', body('json')) });
    } catch (error) {
      setResult({ status: 'error', error });
    }
  };
  const save = (format: 'csv' | 'xlsx') =>
    download(
      '/v1/sql',
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body(format)) },
      `query.${format}`,
    ).catch((error: unknown) => setResult({ status: 'error', error }));

  return (
    <article className="sql-page">
      <h1>SQL</h1>
      <div className="sql-layout">
        <div className="sql-main">
          <SqlEditor value={text} onChange={setText} onRun={() => void run()} tables={schema} />
          <div className="buttons">
            <button type="button" onClick={() => void run()}>
              Run (Ctrl+Enter)
            </button>
            <button type="button" onClick={() => void save('csv')}>
              Download CSV
            </button>
            <button type="button" onClick={() => void save('xlsx')}>
              Download XLSX
            </button>
          </div>
          <SqlOutcome result={result} />
        </div>
        <TableList tables={tables} />
      </div>
    </article>
  );
}

function SqlOutcome({ result }: { result: Async<SqlResult> | null }) {
  if (result === null) return <Empty>Write a query and run it. You see your tenant's rows only.</Empty>;
  if (result.status === 'loading') return <Loading what="the result" />;
  if (result.status === 'error') return <ErrorNote error={result.error} />;
  const r = result.value;
  return (
    <section aria-label="Result" data-testid="sql-result">
      <p className="hint" data-testid="sql-summary">
        {formatNumber(r.rows_count)} rows · {formatNumber(r.elapsed_ms)} ms{r.truncated ? ' · truncated' : ''}
        {r.data_as_of && (
          <span title={`Data complete up to ${r.data_as_of}: queries read a snapshot a few seconds old at most`}>
            {' · data as of '}
            {formatTimeOfDay(r.data_as_of)}
          </span>
        )}
      </p>
      {r.rows.length === 0 ? <Empty>No rows.</Empty> : <DataTable columns={r.meta} rows={r.rows} />}
    </section>
  );
}

function TableList({ tables }: { tables: Async<SqlTables> }) {
  return (
    <aside className="sql-tables" aria-label="Tables">
      <h2>Tables</h2>
      {tables.status === 'loading' && <Loading what="the tables" />}
      {tables.status === 'error' && <ErrorNote error={tables.error} />}
      {tables.status === 'ok' &&
        tables.value.tables.map((t) => (
          <details key={t.name}>
            <summary>
              <code>{t.name}</code>
            </summary>
            <p className="hint">{t.description}</p>
            <ul>
              {t.columns.map((c) => (
                <li key={c.name}>
                  <code>{c.name}</code> <span className="hint">{c.type}</span>
                </li>
              ))}
            </ul>
          </details>
        ))}
    </aside>
  );
}
