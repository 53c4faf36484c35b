import { Module } from '@nestjs/common';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { EventsController } from './http/events.controller';
import { IngestModule } from './ingest.module';

/** POST /v1/events on top of the ingest pipeline, and a read-only look at what it refused. */
@Module({ imports: [IngestModule], controllers: [EventsController, DeadLettersController] })
export class IngestHttpModule {}
