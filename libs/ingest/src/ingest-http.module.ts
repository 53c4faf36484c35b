import { Module } from '@nestjs/common';
import { EventsController } from './http/events.controller';
import { IngestModule } from './ingest.module';

/** POST /v1/events on top of the ingest pipeline. */
@Module({ imports: [IngestModule], controllers: [EventsController] })
export class IngestHttpModule {}
