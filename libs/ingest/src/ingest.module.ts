import { Module } from '@nestjs/common';
import { DeadLetterWriter } from './dead-letter.writer';
import { EventIngestService } from './event-ingest.service';
import { EventWriter } from './event.writer';

/** Validation, deduplication, contact numbering and dead letters for every way events arrive. */
@Module({
  providers: [EventWriter, DeadLetterWriter, EventIngestService],
  exports: [EventIngestService, EventWriter, DeadLetterWriter],
})
export class IngestModule {}
