import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  type OnModuleInit,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  actorName,
  AuthRefusals,
  type AuthedRequest,
  CurrentPrincipal,
  mayAccess,
  type Principal,
  Roles,
  tenantFor,
  TenantForbiddenError,
} from '@tallyhouse/auth';
import { parseJsonBody } from '@tallyhouse/http';
import type { Request, Response } from 'express';
import { ReportParamError, UnknownReportError } from '@tallyhouse/reports';
import type { ExportActor } from './export-job';
import { ExportJobsService, ExportNotFoundError, ExportNotReadyError } from './export-jobs.service';
import { CreateExportDto } from './export-request.dto';

/** Export jobs, their files, and the audit trail of both. */
@ApiTags('exports')
@ApiBearerAuth()
@Roles('manager')
@Controller('v1/exports')
export class ExportsController implements OnModuleInit {
  constructor(
    private readonly exports: ExportJobsService,
    private readonly refusals: AuthRefusals,
  ) {}

  /** A key whose role may not export (the guard's 403) is recorded in the audit trail too. */
  onModuleInit(): void {
    this.refusals.on('/v1/exports', async ({ principal, request, reason }) => {
      const id = /^\/v1\/exports\/([0-9a-f-]{36})\/file$/.exec(request.path)?.[1];
      const tenant = id ? await this.exports.tenantOf(id) : bodyTenant(request.body);
      await this.exports.refused(
        id ? 'download' : 'export',
        actorOf(request, principal),
        {
          tenant: tenant ?? principal.tenant ?? '',
          exportId: id,
        },
        reason,
      );
    });
  }

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start an export job (or, with delivery=stream, stream the file in the response)',
    description:
      'Body: report, params (as for GET /v1/reports/{name}), format (xlsx or csv), reason (required), ' +
      'password (xlsx only: the file is encrypted so Excel and LibreOffice ask for it). Answers 202 with ' +
      'the job; poll GET /v1/exports/{id} and download GET /v1/exports/{id}/file when done.',
  })
  @ApiQuery({ name: 'delivery', required: false, enum: ['job', 'stream'] })
  async create(
    @Body() body: unknown,
    @Query('delivery') delivery: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentPrincipal() who: Principal,
  ) {
    const dto = await parseBody(body);
    try {
      dto.params.tenant = tenantFor(who, dto.params.tenant);
    } catch (err) {
      if (err instanceof TenantForbiddenError) {
        const message = (err.getResponse() as { message: string }).message;
        await this.exports.refused(
          'export',
          actorOf(req, who),
          { tenant: String(dto.params.tenant), report: dto.report, params: dto.params },
          message,
        );
      }
      throw err;
    }
    try {
      if (delivery === 'stream') {
        await this.exports.stream(dto, actorOf(req, who), (type, name) => {
          res.status(200).type(type).setHeader('Content-Disposition', `attachment; filename="${name}"`);
          return res;
        });
        return undefined;
      }
      if (delivery !== undefined && delivery !== 'job') {
        throw new ReportParamError('delivery', 'delivery must be job or stream');
      }
      return await this.exports.create(dto, actorOf(req, who));
    } catch (err) {
      throw httpError(err);
    }
  }

  @Get('history')
  @ApiOperation({ summary: 'Every export started and every file downloaded, newest first' })
  @ApiQuery({ name: 'tenant', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  async history(@CurrentPrincipal() who: Principal, @Query('tenant') tenant?: string, @Query('limit') limit?: string) {
    const scope = tenantFor(who, tenant, { adminMayOmit: true });
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new BadRequestException({ statusCode: 400, field: 'limit', message: 'limit must be 1 to 1000' });
    }
    return { entries: await this.exports.history(scope, n) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'An export job: status, rows written, percent, and the file link when done' })
  async get(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() who: Principal) {
    try {
      const job = await this.exports.get(id);
      // Another tenant's job is not found: its id tells the caller nothing.
      if (!mayAccess(who, job.tenant)) throw new ExportNotFoundError(`no export ${id}`);
      return job;
    } catch (err) {
      throw httpError(err);
    }
  }

  @Get(':id/file')
  @ApiOperation({ summary: 'Download the finished file (recorded in the audit trail)' })
  @ApiProduces('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv')
  @ApiOkResponse({ description: 'The file' })
  async file(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() who: Principal,
  ) {
    let file;
    try {
      const tenant = await this.exports.tenantOf(id);
      if (tenant !== null && !mayAccess(who, tenant)) {
        await this.exports.refused(
          'download',
          actorOf(req, who),
          { tenant, exportId: id },
          `export ${id} is not of tenant ${who.tenant}`,
        );
        throw new ExportNotFoundError(`no export ${id}`);
      }
      file = await this.exports.file(id, actorOf(req, who));
    } catch (err) {
      throw httpError(err);
    }
    res.type(file.contentType);
    res.setHeader('Content-Length', String(file.bytes));
    res.setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`);
    res.sendFile(file.path);
  }
}

/** The key (prefix and name) and the address it called from. */
function actorOf(req: Request | AuthedRequest, who: Principal): ExportActor {
  return { actor: actorName(who), clientAddress: req.ip ?? req.socket.remoteAddress ?? '' };
}

function bodyTenant(body: unknown): string | null {
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { params?: { tenant?: unknown } } | null;
    return typeof parsed?.params?.tenant === 'string' ? parsed.params.tenant : null;
  } catch {
    return null;
  }
}

async function parseBody(body: unknown): Promise<CreateExportDto> {
  const dto = await parseJsonBody(CreateExportDto, body, 'an export request');
  for (const [key, value] of Object.entries(dto.params)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new BadRequestException({ statusCode: 400, field: `params.${key}`, message: `${key} must be text` });
    }
  }
  return dto;
}

function httpError(err: unknown): unknown {
  if (err instanceof ReportParamError) {
    return new BadRequestException({ statusCode: 400, field: err.field, message: err.message });
  }
  if (err instanceof UnknownReportError) {
    return new BadRequestException({ statusCode: 400, field: 'report', message: err.message });
  }
  if (err instanceof ExportNotFoundError) return new NotFoundException({ statusCode: 404, message: err.message });
  if (err instanceof ExportNotReadyError) return new ConflictException({ statusCode: 409, message: err.message });
  return err;
}
