import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest.module';
import { FileImporter } from './file-importer';

/** NDJSON/CSV file import on top of the ingest pipeline (used by the CLI). */
@Module({ imports: [IngestModule], providers: [FileImporter], exports: [FileImporter] })
export class FileImportModule {}
