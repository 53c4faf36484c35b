export { AuthModule, AuthStoreModule } from './auth.module';
export { CurrentPrincipal, Public, PUBLIC_ROUTE, Roles, type AuthedRequest } from './auth.decorators';
export { AuthRefusals, type Refusal } from './auth-refusals';
export { KeyStore, type CreatedKey, type KeyInfo, type KeyCheck } from './key.store';
export { TenantStore, TENANT_ID, isTimeZone, type Tenant } from './tenant.store';
export { tenantFor, mayAccess, TenantForbiddenError } from './tenant-scope';
export { ROLES, REPORT_READERS, actorName, isRole, type Principal, type Role } from './roles';
export { writeKeysFile } from './keys-file';
