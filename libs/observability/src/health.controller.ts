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

  /** Engine reachable, migrations applied, rollups complete as of when. 503 when not ok. */
  @Get('health')
  @ApiOkResponse({ description: 'Everything is ok; the body says what each part reports' })
  async get(@Res() res: Response): Promise<void> {
    const report = await this.health.report();
    res.status(report.ok ? 200 : 503).json(report);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOkResponse({ description: 'Prometheus text format' })
  async prometheus(): Promise<string> {
    return this.metrics.text();
  }
}
