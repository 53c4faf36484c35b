import { startKafkaBroker, type KafkaBroker } from './kafka-broker';

/** Where globalSetup leaves the broker it started for globalTeardown (same process, same globalThis). */
export const kafkaGlobalState = globalThis as typeof globalThis & { __tallyhouseKafkaBroker?: KafkaBroker };

/**
 * Jest globalSetup: unless KAFKA_BROKERS is already set (a broker of CI's or a
 * developer's own), start a fresh local broker named `jest-<pid>` and export its
 * address as KAFKA_BROKERS; the test workers, spawned afterwards, inherit it.
 * The broker is stopped by globalTeardown, or within seconds of jest's exit if
 * jest dies first.
 */
export default async function kafkaGlobalSetup(): Promise<void> {
  if (process.env.KAFKA_BROKERS) return;
  // One broker per jest run (two runs in one checkout must not share or stop each other's).
  const broker = await startKafkaBroker(`jest-${process.pid}`, { fresh: true, ownerPid: process.pid });
  kafkaGlobalState.__tallyhouseKafkaBroker = broker;
  process.env.KAFKA_BROKERS = broker.brokers;
}
