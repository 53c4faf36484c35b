export { ClickHouseModule, createClickHouseService } from './clickhouse.module';
export { ClickHouseService, type CallOptions, type MetaResult, type QueryParams } from './clickhouse.service';
export { ClickHouseQueryError, ClickHouseUnavailableError } from './errors';
export { createEngineClient, type EngineKind, type EngineOptions } from './engine';
export { MigrationRunner, MigrationChecksumError, loadMigrations, type MigrationStatus } from './migrations';
export { renderForCluster } from './cluster';
export { renderSettings, withSettings, type CallSettings, type SettingMap } from './settings';
export { chTime, isoTime } from './time-text';
