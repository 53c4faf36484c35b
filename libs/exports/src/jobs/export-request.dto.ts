import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Length, Matches } from 'class-validator';
import { EXPORT_FORMATS, type ExportFormat } from './export-job';

/** POST /v1/exports: which report, with which parameters, as which file, and why. */
export class CreateExportDto {
  @ApiProperty({ description: 'A report name from GET /v1/reports', example: 'campaign-performance' })
  @IsString({ message: 'report is required' })
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'report must be a report name from GET /v1/reports' })
  report!: string;

  @ApiProperty({
    description: "The report's parameters, as for GET /v1/reports/{name}",
    example: { tenant: 'district-a', from: '2026-10-01', to: '2026-11-01' },
  })
  @IsObject({ message: 'params must be an object of report parameters' })
  params!: Record<string, string>;

  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'xlsx' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS, { message: `format must be one of ${EXPORT_FORMATS.join(', ')}` })
  format: ExportFormat = 'xlsx';

  @ApiProperty({ description: 'Why the data is downloaded (kept in the audit trail)', minLength: 3, maxLength: 500 })
  @IsString({ message: 'reason is required: say why the data is downloaded' })
  @Length(3, 500, { message: 'reason must be 3 to 500 characters' })
  reason!: string;

  @ApiPropertyOptional({
    description: 'Encrypts the XLSX (Office agile encryption): Excel and LibreOffice ask for it to open the file',
    minLength: 8,
    maxLength: 255,
  })
  @IsOptional()
  @IsString({ message: 'password must be text' })
  @Length(8, 255, { message: 'password must be 8 to 255 characters' })
  password?: string;
}
