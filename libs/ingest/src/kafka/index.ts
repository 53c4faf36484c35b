export { KafkaIngestModule } from './kafka-ingest.module';
export { KafkaEventConsumer, type PartitionLag } from './kafka-event.consumer';
export { decodeKafkaMessage, type RawKafkaMessage } from './kafka-message.decoder';
