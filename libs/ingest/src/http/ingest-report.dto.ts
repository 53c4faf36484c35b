import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class RejectionDto {
  @ApiProperty({ description: 'Position of the event in the request (0-based; the line for NDJSON)' })
  index!: number;
  @ApiPropertyOptional({ description: 'event_id of the rejected event, when it had one' })
  event_id?: string;
  @ApiProperty({ description: 'The field at fault; empty when the event as a whole is' })
  field!: string;
  @ApiProperty()
  reason!: string;
}

export class IngestReportDto {
  @ApiProperty({ description: 'Events in the request' }) received!: number;
  @ApiProperty({ description: 'Events stored now' }) accepted!: number;
  @ApiProperty({ description: 'Events already stored (same event_id and occurred_at), not stored again' })
  duplicates!: number;
  @ApiProperty({ description: 'Events sent to dead_letters' }) rejected!: number;
  @ApiProperty({ type: [RejectionDto] }) errors!: RejectionDto[];
}
