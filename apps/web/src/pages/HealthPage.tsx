import { getJson } from '../api/client';
import type { DeadLettersSummary, Health, Stats } from '../api/types';
import { DataTable } from '../components/DataTable';
import { Empty, ErrorNote, Loading } from '../components/States';
import { formatInstant, formatNumber, formatRate } from '../format';
import { useAsync } from '../useAsync';
import { KafkaPanel } from './KafkaPanel';

/** Ingest health: each part of /health, events per day from /v1/stats, dead letters by reason with a sample. */
export function HealthPage({ tenant }: { tenant: string | null }) {
  const q: Record<string, string> = tenant ? { tenant } : {};
  const key = JSON.stringify(q);
  const [health, reload] = useAsync(() => getJson<Health>('/health'), 'health');
  const [stats] = useAsync(() => getJson<Stats>('/v1/stats', q), key);
  const [dead] = useAsync(() => getJson<DeadLettersSummary>('/v1/dead-letters', q), key);
  return (
    <article className="health-page">
      <h1>Ingest health</h1>
      <button type="button" onClick={reload}>
        Refresh
      </button>
      <section aria-label="Health checks">
        <h2>Checks</h2>
        {health.status === 'loading' && <Loading what="health" />}
        {health.status === 'error' && <ErrorNote error={health.error} />}
        {health.status === 'ok' && (
          <ul className="checks" data-testid="health-checks">
            {Object.entries(health.value.checks).map(([name, check]) => (
              <li key={name} className={check.ok ? 'ok' : 'failed'}>
                <strong>
                  {name}: {check.ok ? 'ok' : 'failing'}
                </strong>
                {name === 'kafka' ? (
                  <p className="hint">see Kafka below</p>
                ) : (
                  <pre>{JSON.stringify({ ...check, ok: undefined }, null, 1)}</pre>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label="Kafka">
        <h2>Kafka</h2>
        {health.status === 'ok' && <KafkaPanel health={health.value} />}
      </section>
      <section aria-label="Events">
        <h2>Events, last 30 days</h2>
        {stats.status === 'loading' && <Loading what="event counts" />}
        {stats.status === 'error' && <ErrorNote error={stats.error} />}
        {stats.status === 'ok' && <EventRates stats={stats.value} />}
      </section>
      <section aria-label="Dead letters">
        <h2>Dead letters</h2>
        {dead.status === 'loading' && <Loading what="dead letters" />}
        {dead.status === 'error' && <ErrorNote error={dead.error} />}
        {dead.status === 'ok' &&
          (dead.value.reasons.length === 0 ? (
            <Empty>No dead letters: every message was stored.</Empty>
          ) : (
            <DataTable
              caption={`${formatNumber(dead.value.total)} dead letters`}
              columns={['source', 'field', 'reason', 'count', 'last_at', 'sample'].map((name) => ({
                name,
                type: name === 'count' ? 'integer' : 'string',
              }))}
              rows={dead.value.reasons.map((r) => ({ ...r, last_at: formatInstant(r.last_at) }))}
            />
          ))}
      </section>
    </article>
  );
}

function EventRates({ stats }: { stats: Stats }) {
  const seconds = (Date.parse(stats.to) - Date.parse(stats.from)) / 1000;
  const total = stats.rows.reduce((s, r) => s + r.events, 0);
  return (
    <>
      <p>
        {formatNumber(total)} events · {formatRate(total / seconds)} events/s · {formatRate((total / seconds) * 86_400)}{' '}
        events/day on average
      </p>
      <DataTable
        columns={[
          { name: 'tenant_id', type: 'string' },
          { name: 'type', type: 'string' },
          { name: 'events', type: 'integer' },
          { name: 'contacts', type: 'integer' },
        ]}
        rows={stats.rows}
      />
    </>
  );
}
