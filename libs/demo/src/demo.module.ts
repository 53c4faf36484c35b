import { Module } from '@nestjs/common';
import { IngestModule } from '@tallyhouse/ingest';
import { DemoKeys } from './demo-keys';
import { DemoLoader } from './demo.loader';

/** The demo data set and its loader (DEMO_DATA / DEMO_EVENTS). */
@Module({ imports: [IngestModule], providers: [DemoLoader, DemoKeys], exports: [DemoLoader, DemoKeys] })
export class DemoModule {}
