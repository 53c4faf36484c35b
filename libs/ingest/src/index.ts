export { IngestModule } from './ingest.module';
export {
  EventIngestService,
  type IncomingItem,
  type IngestOptions,
  type IngestReport,
  type Rejection,
} from './event-ingest.service';
export { EventWriter, EVENT_COLUMNS, type WriteResult, type WriteOptions } from './event.writer';
export { DeadLetterWriter, rawColumns, type DeadLetter, type DeadLetterOptions } from './dead-letter.writer';
export { IngestHttpModule } from './ingest-http.module';
export { parseEventsBody } from './http/request-body';
export * from './file-import';
export * from './kafka';
