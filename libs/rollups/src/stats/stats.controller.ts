import { BadRequestException, Controller, Get, Query, UsePipes, ValidationPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, REPORT_READERS, Roles, tenantFor } from '@tallyhouse/auth';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { StatsDto, StatsQueryDto } from './stats.dto';

const QUARTER_HOUR = 15 * 60_000;

interface StatsRow {
  tenant_id: string;
  type: string;
  events: string;
  contacts: string;
}

@ApiTags('stats')
@ApiBearerAuth()
@Roles(...REPORT_READERS)
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly ch: ClickHouseService) {}

  @Get()
  @ApiOperation({ summary: 'Events and exact unique contacts per tenant and type, from the 15-minute rollup' })
  @ApiOkResponse({ type: StatsDto })
  @UsePipes(new ValidationPipe({ transform: true, forbidUnknownValues: true }))
  async get(@Query() q: StatsQueryDto, @CurrentPrincipal() who: Principal): Promise<StatsDto> {
    // A tenant key counts its own tenant only; an admin may leave tenant out for every tenant.
    const tenant = tenantFor(who, q.tenant, { adminMayOmit: true });
    const to = q.to ? Date.parse(q.to) : Date.now();
    const from = q.from ? Date.parse(q.from) : to - 30 * 86_400_000;
    if (!(from < to))
      throw new BadRequestException({ statusCode: 400, message: 'from must be before to', field: 'from' });
    // Buckets are 15 minutes: round outward so every event in [from, to) is counted, and say so.
    const start = Math.floor(from / QUARTER_HOUR) * QUARTER_HOUR;
    const end = Math.ceil(to / QUARTER_HOUR) * QUARTER_HOUR;
    const rows = await this.ch.query<StatsRow>(
      `SELECT tenant_id, type, sum(events) AS events, groupBitmapMerge(contacts) AS contacts
       FROM rollup_15m
       WHERE bucket >= toDateTime({from:UInt32}, 'UTC') AND bucket < toDateTime({to:UInt32}, 'UTC')
         ${tenant ? 'AND tenant_id = {tenant:String}' : ''}
       GROUP BY tenant_id, type
       ORDER BY tenant_id, type`,
      { tag: 'stats', params: { from: start / 1000, to: end / 1000, tenant: tenant ?? undefined }, idempotent: true },
    );
    return {
      from: new Date(start).toISOString(),
      to: new Date(end).toISOString(),
      rows: rows.map((r) => ({
        tenant_id: r.tenant_id,
        type: r.type,
        events: Number(r.events),
        contacts: Number(r.contacts),
      })),
    };
  }
}
