import { IsIn, IsOptional, IsString, Matches } from 'class-validator';

export const SQL_FORMATS = ['json', 'csv', 'xlsx'] as const;

export class SqlRequestDto {
  /** Plain ClickHouse SQL against the documented tables, as if the tenant were alone. */
  @IsString({ message: 'sql must be text' }) sql!: string;

  @IsOptional()
  @IsIn(SQL_FORMATS as unknown as string[], { message: 'format must be json, csv or xlsx' })
  format: (typeof SQL_FORMATS)[number] = 'json';

  /** Required for an admin key; a tenant key may leave it out (or name its own). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { message: 'tenant must be a tenant id' })
  tenant?: string;
}
