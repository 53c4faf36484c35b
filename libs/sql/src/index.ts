export { SqlModule } from './sql.module';
export { SqlQueryService, type SqlCaller, type SqlResult, type SqlRow } from './sql-query.service';
export { SqlQueryLog, type SqlLogEntry } from './sql-query-log';
export { SQL_TABLES, type SqlTable } from './sql-tables';
export { SqlRefusedError, SqlBusyError, engineFailure } from './sql-errors';
export { AdhocSqlEngine, type AdhocSession } from './adhoc-sql-engine';
