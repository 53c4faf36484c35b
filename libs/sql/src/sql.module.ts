import { Module } from '@nestjs/common';
import { AdhocSqlEngine } from './adhoc-sql-engine';
import { SqlCatalog } from './sql-catalog.service';
import { SqlQueryLog } from './sql-query-log';
import { SqlQueryService } from './sql-query.service';
import { SqlController } from './sql.controller';

/** Ad hoc SQL: POST /v1/sql (read-only, bounded, sealed to the caller's tenant) and GET /v1/sql/tables. */
@Module({
  controllers: [SqlController],
  providers: [AdhocSqlEngine, SqlQueryService, SqlQueryLog, SqlCatalog],
  exports: [AdhocSqlEngine, SqlQueryService, SqlQueryLog],
})
export class SqlModule {}
