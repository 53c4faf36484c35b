import { BadRequestException, Body, Controller, Get, HttpException, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { actorName, CurrentPrincipal, type Principal, Roles, tenantFor } from '@tallyhouse/auth';
import { parseJsonBody } from '@tallyhouse/http';
import type { Request, Response } from 'express';
import { SqlCatalog } from './sql-catalog.service';
import { engineFailure, SqlBusyError, SqlRefusedError } from './sql-errors';
import { columnsOf, sendCsv, sendXlsx } from './sql-output';
import { SqlQueryLog } from './sql-query-log';
import { SqlQueryService } from './sql-query.service';
import { SqlRequestDto } from './sql.dto';

@ApiTags('sql')
@ApiBearerAuth()
@Roles('analyst', 'manager')
@Controller('v1/sql')
export class SqlController {
  constructor(
    private readonly queries: SqlQueryService,
    private readonly catalog: SqlCatalog,
    private readonly log: SqlQueryLog,
  ) {}

  @Post()
  @ApiOperation({
    summary: "Run a read-only SELECT over the caller's tenant (analyst, manager; an admin names tenant)",
    description:
      'Body: { sql, format: json (default) | csv | xlsx, tenant (admin only) }. JSON answers ' +
      '{ meta: [{name, type}], rows, rows_count, elapsed_ms, data_as_of, truncated: false }. Write plain ClickHouse ' +
      'SQL against the tables of GET /v1/sql/tables, never a tenant condition: every read is limited to the tenant ' +
      'by the engine. On the embedded engine queries read a snapshot at most SQL_SNAPSHOT_SECONDS old (data_as_of, ' +
      'header X-Data-As-Of). Refused or failed: 400 { statusCode, message, code }; over the time limit, waiting ' +
      'included, 408; over another limit 422; too many queries at once (of the tenant, or in all) 429 with ' +
      'Retry-After; the engine unavailable 503.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['sql'],
      properties: { sql: { type: 'string' }, format: { enum: ['json', 'csv', 'xlsx'] }, tenant: { type: 'string' } },
    },
  })
  async run(@Body() body: unknown, @CurrentPrincipal() who: Principal, @Req() req: Request, @Res() res: Response) {
    const dto = await parseJsonBody(SqlRequestDto, body);
    const tenant = tenantFor(who, dto.tenant);
    let result;
    try {
      result = await this.queries.run(dto.sql, dto.format, {
        tenant,
        keyPrefix: who.prefix,
        keyName: who.name || actorName(who),
        clientAddress: req.ip ?? req.socket.remoteAddress ?? '',
      });
    } catch (err) {
      const failure = httpError(err);
      if (err instanceof SqlBusyError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      else if (failure.getStatus() === 503) res.setHeader('Retry-After', '1');
      throw failure;
    }
    if (result.dataAsOf) res.setHeader('X-Data-As-Of', result.dataAsOf.toISOString());
    const columns = columnsOf(result.meta);
    if (dto.format === 'csv') return sendCsv(res, columns, result.data as never);
    if (dto.format === 'xlsx') return sendXlsx(res, columns, result.data as never, { sql: dto.sql, tenant });
    res.status(200).json({
      meta: result.meta,
      rows: result.data,
      rows_count: result.rows,
      elapsed_ms: Math.round(result.elapsedMs * 100) / 100,
      data_as_of: result.dataAsOf?.toISOString() ?? null,
      // Limits throw instead of cutting: a result is whole or an error.
      truncated: false,
    });
  }

  @Get('log')
  @Roles('manager')
  @ApiOperation({ summary: 'The query log, newest first: admin (every tenant, or tenant=), a manager for its tenant' })
  @ApiQuery({ name: 'tenant', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  async queryLog(@CurrentPrincipal() who: Principal, @Query('tenant') tenant?: string, @Query('limit') limit?: string) {
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new BadRequestException({ statusCode: 400, field: 'limit', message: 'limit must be 1 to 1000' });
    }
    return { entries: await this.log.recent(tenantFor(who, tenant, { adminMayOmit: true }), n) };
  }

  @Get('tables')
  @ApiOperation({ summary: 'The tables ad hoc SQL may read, with descriptions and columns' })
  async tables() {
    return { tables: await this.catalog.tables() };
  }
}

function httpError(err: unknown): HttpException {
  if (err instanceof SqlRefusedError) {
    return new HttpException({ statusCode: 400, message: err.message, code: err.code }, 400);
  }
  if (err instanceof SqlBusyError) {
    return new HttpException({ statusCode: 429, message: err.message, code: 'TOO_MANY_QUERIES' }, 429);
  }
  const f = engineFailure(err);
  return new HttpException({ statusCode: f.status, message: f.message, code: f.code }, f.status);
}
