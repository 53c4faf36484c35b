import { kafkaGlobalState } from './kafka-global-setup';

/** Jest globalTeardown: stops the broker that globalSetup started, if it started one. */
export default async function kafkaGlobalTeardown(): Promise<void> {
  const broker = kafkaGlobalState.__tallyhouseKafkaBroker;
  if (!broker) return;
  kafkaGlobalState.__tallyhouseKafkaBroker = undefined;
  if (process.env.KAFKA_BROKERS === broker.brokers) delete process.env.KAFKA_BROKERS;
  await broker.stop();
}
