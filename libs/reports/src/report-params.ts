import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsOptional, IsString, Matches, Validate, ValidatorConstraint } from 'class-validator';
import type { ValidationArguments, ValidatorConstraintInterface } from 'class-validator';
import { isTimeZone } from './report-range';

export const INTERVALS = ['hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
/** `a,b` or repeated `?x=a&x=b` into a list. */
export const toList = ({ value }: { value: unknown }) =>
  value === undefined || value === ''
    ? undefined
    : (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((v) => v.trim());

@ValidatorConstraint({ name: 'timeZone' })
export class TimeZoneConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isTimeZone(value);
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an IANA time zone such as Europe/Berlin or Asia/Kathmandu`;
  }
}

/** The parameters every report takes; a report adds its own by extending this class. */
export class ReportParams {
  @ApiProperty({ description: 'Tenant id' })
  @Matches(ID, { message: 'tenant must be a tenant id' })
  tenant!: string;

  @ApiProperty({
    description:
      'Start, inclusive: a date (local midnight in tz), or an instant with its offset on a quarter hour ' +
      '(2026-10-01T06:15:00+02:00: reports read 15-minute rollups, so an instant between quarter hours is refused)',
  })
  @IsString({ message: 'from is required (YYYY-MM-DD or an ISO 8601 instant on a quarter hour)' })
  from!: string;

  @ApiProperty({
    description: 'End, exclusive: a date (local midnight in tz), or an instant with its offset on a quarter hour',
  })
  @IsString({ message: 'to is required (YYYY-MM-DD or an ISO 8601 instant on a quarter hour)' })
  to!: string;

  @ApiPropertyOptional({ description: "IANA time zone of dates, buckets and instants (default: the tenant's)" })
  @IsOptional()
  @Validate(TimeZoneConstraint)
  tz?: string;

  @ApiPropertyOptional({ enum: INTERVALS, default: 'day' })
  @IsOptional()
  @IsIn(INTERVALS, { message: `interval must be one of ${INTERVALS.join(', ')}` })
  interval: Interval = 'day';

  @ApiPropertyOptional({ enum: ['monday', 'sunday'], default: 'monday', description: 'First day of a week' })
  @IsOptional()
  @IsIn(['monday', 'sunday'], { message: 'week_start must be monday or sunday' })
  week_start: 'monday' | 'sunday' = 'monday';

  @ApiPropertyOptional({ description: 'Only these channels (comma-separated)', type: String })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(100)
  @Matches(ID, { each: true, message: 'channel must be a list of channel names' })
  channel?: string[];

  @ApiPropertyOptional({ description: 'Only these platforms (comma-separated)', type: String })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(100)
  @Matches(ID, { each: true, message: 'platform must be a list of platform names' })
  platform?: string[];

  @ApiPropertyOptional({ description: 'Only these campaigns (comma-separated)', type: String })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(1000)
  @Matches(ID, { each: true, message: 'campaign must be a list of campaign ids' })
  campaign?: string[];

  @ApiPropertyOptional({
    description: 'Only these org units: schools, interfaces, publishers (comma-separated)',
    type: String,
  })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(1000)
  @Matches(ID, { each: true, message: 'org_unit must be a list of org unit ids' })
  org_unit?: string[];

  @ApiPropertyOptional({ description: 'Only these groups (comma-separated)', type: String })
  @IsOptional()
  @Transform(toList)
  @ArrayMaxSize(1000)
  @Matches(ID, { each: true, message: 'group must be a list of group ids' })
  group?: string[];

  @ApiPropertyOptional({ description: 'Split the figures by this dimension (see the report)' })
  @IsOptional()
  @IsString()
  group_by?: string;
}
