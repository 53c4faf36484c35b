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
        <strong>{kafka.ok ? 'consuming' : 'not consuming'}</strong> {kafka.topic} as {kafka.group} · lag{' '}
        {formatNumber(kafka.lag)} · {formatNumber(kafka.messages_per_second)} messages/s · last stored{' '}
        {formatInstant(kafka.last_stored_at)}
        {kafka.last_error ? ` · last error: ${kafka.last_error}` : ''}
      </p>
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
