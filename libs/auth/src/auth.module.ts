import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController, KeysController, TenantsController } from './auth.controllers';
import { AuthGuard } from './auth.guard';
import { AuthRefusals } from './auth-refusals';
import { KeyStore } from './key.store';
import { TenantStore } from './tenant.store';

/**
 * Tenants, API keys and roles: the global guard on every /v1 route, and
 * /v1/tenants, /v1/keys, /v1/auth/me. Global so every module can scope its
 * routes with @Roles and tenantFor().
 */
@Global()
@Module({
  controllers: [TenantsController, KeysController, AuthController],
  providers: [KeyStore, TenantStore, AuthRefusals, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [KeyStore, TenantStore, AuthRefusals],
})
export class AuthModule {}

/** Keys and tenants without HTTP (no guard): for the CLI, whose modules still carry controllers. */
@Global()
@Module({ providers: [KeyStore, TenantStore, AuthRefusals], exports: [KeyStore, TenantStore, AuthRefusals] })
export class AuthStoreModule {}
