import { Module } from '@nestjs/common';
import { IngestModule } from '@tallyhouse/ingest';
import { DemoLoader } from './demo.loader';

/** The demo data set and its loader (DEMO_DATA / DEMO_EVENTS). */
@Module({ imports: [IngestModule], providers: [DemoLoader], exports: [DemoLoader] })
export class DemoModule {}
