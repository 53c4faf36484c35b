import { BadRequestException, Controller, Get, Headers, NotFoundException, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, REPORT_READERS, Roles, tenantFor } from '@tallyhouse/auth';
import type { Response } from 'express';
import { toCsv } from './report-csv';
import { reportParameters } from './report-openapi';
import { ReportParamError, ReportService, UnknownReportError } from './report.service';

@ApiTags('reports')
@ApiBearerAuth()
@Roles(...REPORT_READERS)
@Controller('v1/reports')
export class ReportsController {
  constructor(private readonly reports: ReportService) {}

  @Get()
  @ApiOperation({ summary: 'Every report with its description, parameters and columns' })
  list() {
    return {
      reports: this.reports.list().map((r) => ({
        name: r.name,
        title: r.title,
        description: r.description,
        reference: r.reference,
        group_by: r.groupBy,
        parameters: reportParameters(r),
        path: `/v1/reports/${r.name}`,
      })),
      common_parameters: {
        tenant: "tenant id (default: the key's tenant; an admin key must name one)",
        from: 'start, inclusive: YYYY-MM-DD (local midnight in tz) or an instant with offset on a quarter hour',
        to: 'end, exclusive: same forms as from',
        tz: "IANA time zone (default: the tenant's)",
        interval: 'hour, day, week, month, quarter, year (default day)',
        week_start: 'monday (default) or sunday',
        channel: 'comma-separated filter',
        platform: 'comma-separated filter',
        campaign: 'comma-separated filter',
        org_unit: 'comma-separated filter',
        group: 'comma-separated filter',
        group_by: 'per report, see group_by',
        format: 'json (default) or csv; or send Accept: text/csv',
      },
    };
  }

  @Get(':name')
  @ApiOperation({ summary: 'Run a report: JSON by default, CSV with format=csv or Accept: text/csv' })
  @ApiParam({ name: 'name', description: 'A report name from GET /v1/reports' })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ description: 'The report: columns with types and descriptions, and rows' })
  async run(
    @Param('name') name: string,
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
    @CurrentPrincipal() who: Principal,
  ): Promise<void> {
    const { format, ...params } = query;
    // The tenant comes from the key: a tenant key may not name another one.
    params.tenant = tenantFor(who, params.tenant);
    if (format !== undefined && format !== 'json' && format !== 'csv') {
      throw new BadRequestException({ statusCode: 400, field: 'format', message: 'format must be json or csv' });
    }
    try {
      const result = await this.reports.run(name, params);
      if (format === 'csv' || (format === undefined && accept?.includes('text/csv'))) {
        res.type('text/csv; charset=utf-8');
        res.setHeader('Content-Disposition', `attachment; filename="${result.report}.csv"`);
        res.send(toCsv(result.columns, result.rows));
      } else {
        res.json(result);
      }
    } catch (err) {
      if (err instanceof UnknownReportError) throw new NotFoundException({ statusCode: 404, message: err.message });
      if (err instanceof ReportParamError) {
        throw new BadRequestException({ statusCode: 400, field: err.field, message: err.message });
      }
      throw err;
    }
  }
}
