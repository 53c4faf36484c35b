import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@tallyhouse/http';
import type { Response } from 'express';
import { HealthService } from './health.service';
import { MetricsService } from './metrics.service';

/** Open: load balancers, orchestrators' probes and Prometheus carry no key. */
@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Readiness: engine reachable and its lanes moving, migrations applied, rollups complete as of when,
   * the Kafka consumer's state. 503 when not ok.
   */
  @Get('health')
  @ApiOkResponse({ description: 'Everything is ok; the body says what each part reports' })
  async get(@Res() res: Response): Promise<void> {
    const report = await this.health.report();
    res.status(report.ok ? 200 : 503).json(report);
  }

  /**
   * Liveness: the process answers. Never waits for the engine or any check, so an orchestrator's probe
   * never restarts a process that is only busy (/health is readiness).
   */
  @Get('health/live')
  @ApiOkResponse({ description: 'The process is alive' })
  live(): { ok: true; uptime_s: number; pid: number } {
    return { ok: true, uptime_s: Math.round(process.uptime()), pid: process.pid };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOkResponse({ description: 'Prometheus text format' })
  async prometheus(): Promise<string> {
    return this.metrics.text();
  }
}
