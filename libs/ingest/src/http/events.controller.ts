import { Body, Controller, ForbiddenException, Get, Headers, HttpCode, HttpException, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal, ROLES, Roles } from '@tallyhouse/auth';
import { AppConfig } from '@tallyhouse/config';
import { EVENT_JSON_SCHEMA } from '@tallyhouse/events';
import { DeadLetterWriter } from '../dead-letter.writer';
import { EventIngestService, type IncomingItem } from '../event-ingest.service';
import { IngestReportDto } from './ingest-report.dto';
import { BodyError, parseEventsBody } from './request-body';

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly ingest: EventIngestService,
    private readonly deadLetters: DeadLetterWriter,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @Roles('ingest')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ingest events',
    description:
      'A JSON array (or one object), or NDJSON with Content-Type application/x-ndjson. Valid events are stored; ' +
      'invalid ones go to dead_letters and are listed with their index, field and reason; events already stored ' +
      '(same tenant_id, event_id and occurred_at) are counted as duplicates and not stored again. An ingest key ' +
      "writes its own tenant only: a request with another tenant's event is refused whole (403), nothing stored.",
  })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({ schema: { type: 'array', items: EVENT_JSON_SCHEMA as object } })
  @ApiOkResponse({ type: IngestReportDto })
  async post(
    @Body() body: unknown,
    @Headers('content-type') contentType = 'application/json',
    @CurrentPrincipal() who: Principal,
  ): Promise<IngestReportDto> {
    // The bytes as they came (express.raw for this route): each event is decoded on its own, never patched.
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : '');
    try {
      const items = parseEventsBody(bytes, contentType, this.config.INGEST_MAX_EVENTS);
      if (who.tenant !== null) refuseOtherTenants(items, who.tenant);
      return await this.ingest.ingest(items, 'http');
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      // A body we cannot read is still kept, so nothing sent is lost without a trace.
      await this.deadLetters.write([
        { source: 'http', field: '', reason: err.message, raw: bytes.subarray(0, 1 << 20) },
      ]);
      throw new HttpException({ statusCode: err.status, error: 'Bad Request', message: err.message }, err.status);
    }
  }

  @Get('schema')
  @Roles(...ROLES)
  @ApiOperation({ summary: 'The event contract as JSON Schema' })
  schema(): object {
    return EVENT_JSON_SCHEMA;
  }
}

/**
 * A tenant key writes its own tenant's events only. The whole request is
 * refused (nothing stored, nothing dead-lettered) so a misconfigured producer
 * learns at once, and a foreign tenant's rows never enter any table.
 */
function refuseOtherTenants(items: readonly IncomingItem[], tenant: string): void {
  const foreign: string[] = [];
  items.forEach((item, index) => {
    const claimed = (item.value as { tenant_id?: unknown } | null | undefined)?.tenant_id;
    if (item.value !== null && typeof item.value === 'object' && claimed !== undefined && claimed !== tenant) {
      foreign.push(`[${index}] tenant_id ${JSON.stringify(claimed)}`);
    }
  });
  if (foreign.length > 0) {
    throw new ForbiddenException({
      statusCode: 403,
      message:
        `this key writes events of tenant ${tenant} only; refused: ${foreign.slice(0, 10).join(', ')}` +
        (foreign.length > 10 ? ` and ${foreign.length - 10} more` : ''),
    });
  }
}
