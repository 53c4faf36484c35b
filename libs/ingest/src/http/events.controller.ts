import { Body, Controller, Get, Headers, HttpCode, HttpException, Post } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '@tallyhouse/config';
import { EVENT_JSON_SCHEMA } from '@tallyhouse/events';
import { DeadLetterWriter } from '../dead-letter.writer';
import { EventIngestService } from '../event-ingest.service';
import { IngestReportDto } from './ingest-report.dto';
import { BodyError, parseEventsBody } from './request-body';

@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly ingest: EventIngestService,
    private readonly deadLetters: DeadLetterWriter,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ingest events',
    description:
      'A JSON array (or one object), or NDJSON with Content-Type application/x-ndjson. Valid events are stored; ' +
      'invalid ones go to dead_letters and are listed with their index, field and reason; events already stored ' +
      '(same tenant_id, event_id and occurred_at) are counted as duplicates and not stored again.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({ schema: { type: 'array', items: EVENT_JSON_SCHEMA as object } })
  @ApiOkResponse({ type: IngestReportDto })
  async post(
    @Body() body: unknown,
    @Headers('content-type') contentType = 'application/json',
  ): Promise<IngestReportDto> {
    const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
    try {
      const items = parseEventsBody(text, contentType, this.config.INGEST_MAX_EVENTS);
      return await this.ingest.ingest(items, 'http');
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      // A body we cannot read is still kept, so nothing sent is lost without a trace.
      await this.deadLetters.write([{ source: 'http', field: '', reason: err.message, raw: text.slice(0, 1 << 20) }]);
      throw new HttpException({ statusCode: err.status, error: 'Bad Request', message: err.message }, err.status);
    }
  }

  @Get('schema')
  @ApiOperation({ summary: 'The event contract as JSON Schema' })
  schema(): object {
    return EVENT_JSON_SCHEMA;
  }
}
