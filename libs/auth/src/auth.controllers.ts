import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from './auth.decorators';
import { CreateKeyDto, CreateTenantDto } from './auth.dto';
import { parseJsonBody } from '@tallyhouse/http';
import { KeyStore } from './key.store';
import { actorName, MANAGER_GRANTS, ROLES, type Principal } from './roles';
import { isTimeZone, TenantStore } from './tenant.store';
import { mayAccess, tenantFor } from './tenant-scope';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantStore) {}

  @Post()
  @ApiOperation({ summary: 'Add a tenant (or rename it / change its home zone): admin' })
  async create(@Body() body: unknown) {
    const dto = await parseJsonBody(CreateTenantDto, body);
    if (!isTimeZone(dto.time_zone)) {
      throw new BadRequestException({ statusCode: 400, field: 'time_zone', message: 'time_zone must be an IANA zone' });
    }
    return this.tenants.upsert(dto.id, dto.name, dto.time_zone);
  }

  @Get()
  @ApiOperation({ summary: 'Every tenant: admin' })
  async list() {
    return { tenants: await this.tenants.list() };
  }
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('v1/keys')
export class KeysController {
  constructor(
    private readonly keys: KeyStore,
    private readonly tenants: TenantStore,
  ) {}

  @Post()
  @Roles('manager')
  @ApiOperation({
    summary: 'Create an API key, shown once in the answer (admin; a manager: analyst, viewer, ingest of its tenant)',
  })
  async create(@Body() body: unknown, @CurrentPrincipal() who: Principal) {
    const dto = await parseJsonBody(CreateKeyDto, body);
    if (who.role === 'manager' && !MANAGER_GRANTS.includes(dto.role)) {
      throw new ForbiddenException({
        statusCode: 403,
        message: `a manager key may create ${MANAGER_GRANTS.join(', ')} keys only`,
      });
    }
    let tenant: string | null = null;
    if (dto.role !== 'admin') {
      tenant = tenantFor(who, dto.tenant);
      if (!(await this.tenants.get(tenant))) {
        throw new BadRequestException({ statusCode: 400, field: 'tenant', message: `no tenant ${tenant}` });
      }
    } else if (dto.tenant !== undefined) {
      throw new BadRequestException({
        statusCode: 400,
        field: 'tenant',
        message: 'an admin key is for every tenant: leave out tenant',
      });
    }
    return this.keys.create({
      role: dto.role,
      tenant,
      name: dto.name ?? '',
      expiresDays: dto.expires_days,
      createdBy: actorName(who),
    });
  }

  @Get()
  @Roles('manager')
  @ApiOperation({ summary: 'Keys (prefix, role, tenant, status; never the key): admin, or a manager for its tenant' })
  @ApiQuery({ name: 'tenant', required: false })
  async list(@CurrentPrincipal() who: Principal, @Query('tenant') tenant?: string) {
    return { keys: await this.keys.list(tenantFor(who, tenant, { adminMayOmit: true })) };
  }

  @Delete(':prefix')
  @Roles('manager')
  @ApiOperation({ summary: 'Revoke a key at once: admin, or a manager for keys of its tenant' })
  async revoke(@Param('prefix') prefix: string, @CurrentPrincipal() who: Principal) {
    const key = await this.keys.get(prefix);
    // Another tenant's key is "not found": a manager learns nothing about other tenants.
    if (!key || (key.tenant === null ? who.role !== 'admin' : !mayAccess(who, key.tenant))) {
      throw new NotFoundException({ statusCode: 404, message: `no key ${prefix}` });
    }
    if (who.role === 'manager' && !MANAGER_GRANTS.includes(key.role)) {
      throw new ForbiddenException({ statusCode: 403, message: `a manager key may not revoke a ${key.role} key` });
    }
    return this.keys.revoke(prefix);
  }
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('v1/auth')
export class AuthController {
  @Get('me')
  @Roles(...ROLES)
  @ApiOperation({ summary: 'The calling key: { key_prefix, role, tenant, name } (any valid key)' })
  me(@CurrentPrincipal() who: Principal) {
    return { key_prefix: who.prefix, role: who.role, tenant: who.tenant, name: who.name };
  }
}
