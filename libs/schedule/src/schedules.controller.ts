import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, mayAccess, type Principal, Public, Roles, tenantFor } from '@tallyhouse/auth';
import { parseJsonBody } from '@tallyhouse/http';
import type { Request, Response } from 'express';
import { ReportParamError, UnknownReportError } from '@tallyhouse/reports';
import { CreateScheduleDto } from './create-schedule.dto';
import { ScheduleRunner } from './schedule-runner';
import { ScheduleStore } from './schedule.store';
import { ScheduleLimitError, ScheduleNotFoundError, SchedulesService } from './schedules.service';

@ApiTags('schedules')
@ApiBearerAuth()
@Roles('manager')
@Controller('v1/schedules')
export class SchedulesController {
  constructor(
    private readonly schedules: SchedulesService,
    private readonly runner: ScheduleRunner,
    private readonly store: ScheduleStore,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a schedule: a report with a relative range, a cron and zone, a format, and delivery targets',
  })
  async create(@Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const dto = await parseBody(body);
    dto.params.tenant = tenantFor(who, dto.params.tenant);
    return this.call(() => this.schedules.create(dto));
  }

  @Get()
  @ApiOperation({ summary: 'Schedules, with their next run' })
  @ApiQuery({ name: 'tenant', required: false })
  async list(@CurrentPrincipal() who: Principal, @Query('tenant') tenant?: string) {
    return { schedules: await this.schedules.list(tenantFor(who, tenant, { adminMayOmit: true })) };
  }

  @Get('runs/:runId/file')
  @Public() // authorised by its HMAC signature: recipients of a delivery have no key
  @ApiOperation({ summary: "Download a run's file through the signed link sent with it" })
  async runFile(
    @Param('runId') runId: string,
    @Query('expires') expires: string | undefined,
    @Query('signature') signature: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (!this.runner.links.verify(req.path, expires, signature)) {
      throw new ForbiddenException({ statusCode: 403, message: 'the link is not valid or has expired' });
    }
    const run = await this.store.run(runId);
    if (!run || !run.file_name) throw new NotFoundException({ statusCode: 404, message: `no file for run ${runId}` });
    res.download(
      run.file_name,
      `${run.schedule_id}-${run.range_from}${run.file_name.slice(run.file_name.lastIndexOf('.'))}`,
    );
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal) {
    return this.call(() => this.owned(id, who));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal) {
    await this.call(async () => this.schedules.remove((await this.owned(id, who)).id));
  }

  @Post(':id/run')
  @ApiOperation({ summary: 'Run now (for the range as of now); answers with the recorded run' })
  async runNow(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal) {
    return this.call(async () => this.schedules.runNow((await this.owned(id, who)).id));
  }

  @Get(':id/runs')
  @ApiOperation({ summary: "Run history, newest first: status, timings, rows, each target's outcome, error" })
  async runs(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal) {
    return { runs: await this.call(async () => this.schedules.runs((await this.owned(id, who)).id)) };
  }

  /** The schedule if the caller may see it; another tenant's schedule is not found. */
  private async owned(id: string, who: Principal) {
    const schedule = await this.schedules.get(id);
    if (!mayAccess(who, schedule.tenant)) throw new ScheduleNotFoundError(`no schedule ${id}`);
    return schedule;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ReportParamError) {
        throw new BadRequestException({ statusCode: 400, field: err.field, message: err.message });
      }
      if (err instanceof UnknownReportError) {
        throw new BadRequestException({ statusCode: 400, field: 'report', message: err.message });
      }
      if (err instanceof ScheduleNotFoundError) throw new NotFoundException({ statusCode: 404, message: err.message });
      if (err instanceof ScheduleLimitError) throw new ConflictException({ statusCode: 409, message: err.message });
      throw err;
    }
  }
}

function parseBody(body: unknown): Promise<CreateScheduleDto> {
  return parseJsonBody(CreateScheduleDto, body, 'a schedule');
}
