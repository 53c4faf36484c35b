import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Validate,
} from 'class-validator';
import { TimeZoneConstraint } from '@tallyhouse/reports';
import { RELATIVE_RANGES, type RelativeRange } from './schedule.types';
import type { DeliveryTarget } from './delivery/delivery.types';

/** POST /v1/schedules. */
export class CreateScheduleDto {
  @ApiProperty({ example: 'Monthly usage for the board' })
  @IsString({ message: 'name is required' })
  @Length(1, 200, { message: 'name must be 1 to 200 characters' })
  name!: string;

  @ApiProperty({ description: 'A report name from GET /v1/reports', example: 'account-usage' })
  @IsString({ message: 'report is required' })
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'report must be a report name from GET /v1/reports' })
  report!: string;

  @ApiProperty({
    description: "The report's parameters, tenant included, without from and to",
    example: { tenant: 'district-a', interval: 'month' },
  })
  @IsObject({ message: 'params must be an object of report parameters' })
  params!: Record<string, string>;

  @ApiProperty({
    enum: RELATIVE_RANGES,
    description: "The period each run reports, in the schedule's zone at the tick",
  })
  @IsIn(RELATIVE_RANGES, { message: `range must be one of ${RELATIVE_RANGES.join(', ')}` })
  range!: RelativeRange;

  @ApiProperty({ description: 'Cron expression (minute hour day-of-month month day-of-week)', example: '0 6 1 * *' })
  @IsString({ message: 'cron is required' })
  cron!: string;

  @ApiPropertyOptional({
    description: "IANA zone of the cron and the range (default: the report's tz parameter or UTC)",
  })
  @IsOptional()
  @Validate(TimeZoneConstraint)
  time_zone?: string;

  @ApiPropertyOptional({ enum: ['xlsx', 'csv'], default: 'xlsx' })
  @IsOptional()
  @IsIn(['xlsx', 'csv'], { message: 'format must be xlsx or csv' })
  format: 'xlsx' | 'csv' = 'xlsx';

  @ApiProperty({
    description:
      'Where each run goes: { type: folder, path } | { type: email, to: [...] } | { type: webhook, url, secret? }',
    example: [{ type: 'email', to: ['board@district.example'] }],
  })
  @IsArray({ message: 'targets must be a list' })
  @ArrayMinSize(1, { message: 'targets must name at least one target' })
  @ArrayMaxSize(20, { message: 'targets can name at most 20 targets' })
  targets!: DeliveryTarget[];

  @ApiPropertyOptional({ description: 'Told by email when a run fails' })
  @IsOptional()
  @IsEmail({}, { message: 'owner_email must be an email address' })
  owner_email?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled: boolean = true;
}
