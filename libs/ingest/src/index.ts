export { IngestModule } from './ingest.module';
export { EventIngestService, type IncomingItem, type IngestReport, type Rejection } from './event-ingest.service';
export { EventWriter, type WriteResult } from './event.writer';
export { DeadLetterWriter, type DeadLetter } from './dead-letter.writer';
export { IngestHttpModule } from './ingest-http.module';
export { parseEventsBody } from './http/request-body';
export * from './file-import';
