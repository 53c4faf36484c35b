import type { Health, KafkaHealth } from '../api/types';
import { DataTable } from '../components/DataTable';
import { Empty } from '../components/States';
import { formatInstant, formatNumber } from '../format';

/** The consumer's lag, rate and dead letters by kind, from the `kafka` check of /health. */
export function KafkaPanel({ health }: { health: Health }) {
  // /health is typed loosely (each part says what it knows); this part is the consumer's, as KafkaHealth.
  const kafka = health.checks.kafka as unknown as KafkaHealth | undefined;
  if (!kafka)
    return <Empty>No Kafka consumer in this process (KAFKA_BROKERS is not set): events arrive over HTTP.</Empty>;
  const kinds = Object.entries(kafka.dead_letters_since_start ?? {});
  return (
    <div data-testid="kafka">
      <p>
        <strong>{kafka.ok ? 'consuming' : `not consuming (${kafka.state ?? 'unknown'})`}</strong> {kafka.topic} as{' '}
        {kafka.group} · broker {kafka.broker ?? 'unknown'} · lag{' '}
        {kafka.lag === null ? 'unknown' : formatNumber(kafka.lag)} · {formatNumber(kafka.messages_per_second)}{' '}
        messages/s · last stored {formatInstant(kafka.last_stored_at)}
        {kafka.last_error ? ` · last error: ${kafka.last_error}` : ''}
      </p>
      {(kafka.stalled ?? []).length > 0 && (
        <ul className="stalled" aria-label="Stalled partitions">
          {kafka.stalled.map((s) => (
            <li key={s.partition}>
              partition {s.partition} stalled for {formatNumber(s.seconds)} s at offsets {s.first ?? '?'}–
              {s.last ?? '?'} ({formatNumber(s.attempts)} attempts){s.last_error ? `: ${s.last_error}` : ''}
            </li>
          ))}
        </ul>
      )}
      <DataTable
        caption="Partitions"
        columns={['partition', 'committed', 'end', 'lag'].map((name) => ({ name, type: 'integer' }))}
        rows={kafka.partitions}
      />
      <p>
        Dead letters since start, by kind:{' '}
        {kinds.length === 0 ? 'none' : kinds.map(([kind, n]) => `${kind} ${formatNumber(n)}`).join(' · ')}
      </p>
    </div>
  );
}
