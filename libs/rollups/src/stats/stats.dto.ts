import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, Matches } from 'class-validator';

export class StatsQueryDto {
  @ApiPropertyOptional({ description: "Only this tenant (default: the key's tenant; every tenant for an admin key)" })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'tenant must be a tenant id' })
  tenant?: string;

  @ApiPropertyOptional({ description: 'Start, inclusive (ISO 8601 date or instant; default 30 days ago)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date or instant' })
  from?: string;

  @ApiPropertyOptional({ description: 'End, exclusive (ISO 8601 date or instant; default now)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date or instant' })
  to?: string;
}

export class StatsRowDto {
  @ApiProperty() tenant_id!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ description: 'Events in the range' }) events!: number;
  @ApiProperty({ description: 'Exact count of distinct contacts with such an event in the range' }) contacts!: number;
}

export class StatsDto {
  @ApiProperty({ description: 'Range actually counted (UTC, aligned to 15 minutes), from inclusive' }) from!: string;
  @ApiProperty({ description: 'to exclusive' }) to!: string;
  @ApiProperty({ type: [StatsRowDto] }) rows!: StatsRowDto[];
}
