import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { EventIngestService, type IncomingItem } from '@tallyhouse/ingest';
import { DemoKeys } from './demo-keys';
import { DEFAULT_DEMO_SEED, type DemoEvent, generateDemoEvents } from './generator';
import { DEMO_TENANTS } from './tenants';

export interface DemoLoadProgress {
  done: number;
  total: number;
  accepted: number;
  seconds: number;
}

export interface DemoLoadResult {
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  seconds: number;
  /** The first rejections, if any (a generator bug: demo events must all be valid). */
  errors: { field: string; reason: string }[];
}

export interface DemoLoadOptions {
  events: number;
  seed?: number;
  now?: Date;
  chunkSize?: number;
  onProgress?: (p: DemoLoadProgress) => void;
  /** Log a line every ~10% (the bootstrap load does; the CLI shows a bar instead). */
  log?: boolean;
}

/**
 * Fills an empty warehouse with the demo data set (DEMO_DATA, DEMO_EVENTS) when
 * the application starts. The load runs in the background through the normal
 * ingest path, so the API answers (and /health reports) while it runs.
 */
@Injectable()
export class DemoLoader implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DemoData');
  private running: Promise<DemoLoadResult | null> | null = null;
  private stopping = false;

  constructor(
    private readonly ch: ClickHouseService,
    private readonly ingest: EventIngestService,
    private readonly config: AppConfig,
    private readonly demoKeys: DemoKeys,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.DEMO_DATA || this.config.DEMO_EVENTS <= 0) return;
    this.running = this.loadIfEmpty().catch((err: unknown) => {
      if (!this.stopping) this.logger.error(`demo data load failed: ${(err as Error).message ?? err}`);
      return null;
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** Resolves when the bootstrap load (if any) has finished; null when nothing was loaded. */
  whenDone(): Promise<DemoLoadResult | null> {
    return this.running ?? Promise.resolve(null);
  }

  /** Loads DEMO_EVENTS demo events unless `events` already holds data. */
  async loadIfEmpty(): Promise<DemoLoadResult | null> {
    const rows = await this.ch.query<{ n: string }>('SELECT count() AS n FROM events', {
      tag: 'demo:count',
      idempotent: true,
    });
    if (Number(rows[0]?.n ?? 0) > 0) {
      this.logger.log('demo data already loaded (the events table is not empty); skipping');
      return null;
    }
    await this.demoKeys.createIfNone();
    this.logger.log(
      `loading ${this.config.DEMO_EVENTS.toLocaleString('en-US')} demo events in the background (DEMO_DATA=false turns this off)`,
    );
    return this.load({ events: this.config.DEMO_EVENTS, log: true });
  }

  /** Generates `events` demo events and stores them through the ingest pipeline (source 'demo'). */
  async load(options: DemoLoadOptions): Promise<DemoLoadResult> {
    const started = Date.now();
    const total = Math.max(0, Math.floor(options.events));
    const chunkSize = options.chunkSize ?? 50_000;
    await this.writeTenants();
    const result: DemoLoadResult = { events: 0, accepted: 0, duplicates: 0, rejected: 0, seconds: 0, errors: [] };
    let nextLog = 0.1;
    let chunk: IncomingItem[] = [];
    const flush = async () => {
      const report = await this.ingest.ingest(chunk, 'demo');
      result.events += chunk.length;
      result.accepted += report.accepted;
      result.duplicates += report.duplicates;
      result.rejected += report.rejected;
      for (const e of report.errors)
        if (result.errors.length < 10) result.errors.push({ field: e.field, reason: e.reason });
      chunk = [];
      const seconds = (Date.now() - started) / 1000;
      options.onProgress?.({ done: result.events, total, accepted: result.accepted, seconds });
      if (options.log && total > 0 && result.events / total >= nextLog && result.events < total) {
        this.logger.log(
          `demo data: ${Math.floor((result.events / total) * 100)}% (${result.events.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} events, ${seconds.toFixed(1)} s)`,
        );
        while (nextLog <= result.events / total) nextLog += 0.1;
      }
      // Let HTTP requests in between chunks.
      await new Promise((r) => setImmediate(r));
    };
    for (const event of generateDemoEvents({
      events: total,
      seed: options.seed ?? DEFAULT_DEMO_SEED,
      now: options.now,
    })) {
      chunk.push(lazyItem(event));
      if (chunk.length >= chunkSize) {
        await flush();
        if (this.stopping) break;
      }
    }
    if (chunk.length > 0 && !this.stopping) await flush();
    result.seconds = (Date.now() - started) / 1000;
    const names = DEMO_TENANTS.map((t) => `${t.tenant_id} (${t.time_zone})`).join(', ');
    if (this.stopping && result.events < total) {
      this.logger.warn(`demo data load stopped at shutdown after ${result.events} of ${total} events`);
    } else if (options.log) {
      this.logger.log(
        `Loaded ${result.accepted.toLocaleString('en-US')} demo events for tenants ${names} in ${result.seconds.toFixed(1)} s`,
      );
    }
    if (result.rejected > 0)
      this.logger.warn(`${result.rejected} demo events were rejected: ${JSON.stringify(result.errors[0])}`);
    return result;
  }

  /** Writes the demo tenants with their home time zones (ReplacingMergeTree: re-running is harmless). */
  async writeTenants(): Promise<void> {
    await this.ch.insertRows(
      'tenants',
      DEMO_TENANTS.map((t) => ({ tenant_id: t.tenant_id, name: t.name, time_zone: t.time_zone })),
      { tag: 'demo:tenants' },
    );
  }
}

/** The raw text is only needed for a dead letter, so it is built only then. */
function lazyItem(event: DemoEvent): IncomingItem {
  return {
    value: event,
    get raw() {
      return JSON.stringify(event);
    },
  };
}
