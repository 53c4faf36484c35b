import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, Roles, tenantFor } from '@tallyhouse/auth';
import { ClickHouseService } from '@tallyhouse/clickhouse';

/** One reason a message was refused, how often, and the latest raw sample of it. */
export interface DeadLetterReason {
  source: string;
  /** The event field at fault ('' when the whole message was unreadable). */
  field: string;
  reason: string;
  count: number;
  last_at: string;
  sample: string;
}

export interface DeadLettersSummary {
  total: number;
  reasons: DeadLetterReason[];
}

interface ReasonRow {
  source: string;
  field: string;
  reason: string;
  count: string;
  last_at: string;
  sample: string;
}

/**
 * Read-only view of dead_letters for the ingest health page: grouped by reason, with a sample.
 * Samples are raw producer bytes: managers see their tenant's, admins any tenant's or all.
 */
@ApiTags('events')
@ApiBearerAuth()
@Roles('manager')
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly ch: ClickHouseService) {}

  @Get()
  @ApiOperation({
    summary: 'Dead letters grouped by source, field and reason, with the latest raw sample (1 KiB) of each',
  })
  @ApiQuery({ name: 'tenant', required: false })
  @ApiQuery({ name: 'limit', required: false, description: 'reasons to list, 1-500, default 50' })
  async list(
    @CurrentPrincipal() who: Principal,
    @Query('tenant') requested?: string,
    @Query('limit') limit?: string,
  ): Promise<DeadLettersSummary> {
    const tenant = tenantFor(who, requested, { adminMayOmit: true });
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 500) {
      throw new BadRequestException({ statusCode: 400, field: 'limit', message: 'limit must be 1 to 500' });
    }
    const where = tenant ? 'WHERE tenant_id = {tenant:String}' : '';
    const rows = await this.ch.query<ReasonRow>(
      `SELECT source, field, reason, count() AS count, max(received_at) AS last_at,
              substring(argMax(raw, received_at), 1, 1024) AS sample
       FROM dead_letters ${where}
       GROUP BY source, field, reason ORDER BY count DESC, field, reason LIMIT {limit:UInt32}`,
      { tag: 'dead-letters', params: { tenant: tenant ?? '', limit: n } },
    );
    // DateTime64 comes back as 'YYYY-MM-DD hh:mm:ss.sss' in UTC; the API speaks ISO 8601.
    const reasons = rows.map((r) => ({
      ...r,
      count: Number(r.count),
      last_at: new Date(`${r.last_at.replace(' ', 'T')}Z`).toISOString(),
    }));
    return { total: reasons.reduce((s, r) => s + r.count, 0), reasons };
  }
}
