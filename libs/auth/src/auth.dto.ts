import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { ROLES, type Role } from './roles';
import { TENANT_ID } from './tenant.store';

export class CreateTenantDto {
  @Matches(TENANT_ID, { message: 'id must be 1-63 of letters, digits, ".", "_", "-", starting with a letter or digit' })
  id!: string;

  @IsString() @MinLength(1) @MaxLength(200) name!: string;

  /** Home zone: reports default to it, summaries are built in it. */
  @IsString() time_zone = 'UTC';
}

export class CreateKeyDto {
  @IsIn(ROLES as unknown as string[], { message: `role must be one of ${ROLES.join(', ')}` })
  role!: Role;

  /** Required for every role but admin (admin keys act for any tenant). */
  @IsOptional() @Matches(TENANT_ID, { message: 'tenant must be a tenant id' }) tenant?: string;

  @IsOptional() @IsString() @MaxLength(200) name?: string;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === undefined || value === null ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  @Max(3650)
  expires_days?: number;
}
