import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest.module';
import { KafkaEventConsumer } from './kafka-event.consumer';
import { KafkaInsertPlans } from './kafka-insert-plans';

/** The Kafka consumer: starts with the app when KAFKA_BROKERS is set, idle otherwise. */
@Module({
  imports: [IngestModule],
  providers: [KafkaEventConsumer, KafkaInsertPlans],
  exports: [KafkaEventConsumer],
})
export class KafkaIngestModule {}
