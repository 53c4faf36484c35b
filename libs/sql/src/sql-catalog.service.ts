import { Injectable } from '@nestjs/common';
import { ClickHouseService } from '@tallyhouse/clickhouse';
import { SQL_TABLES } from './sql-tables';

export interface SqlTableInfo {
  name: string;
  description: string;
  columns: { name: string; type: string }[];
}

/** The documented tables with their columns as the engine has them (tenant_id left out: it is always the caller's). */
@Injectable()
export class SqlCatalog {
  private cached: Promise<SqlTableInfo[]> | null = null;

  constructor(private readonly ch: ClickHouseService) {}

  tables(): Promise<SqlTableInfo[]> {
    this.cached ??= Promise.all(
      SQL_TABLES.map(async (t) => {
        const columns = await this.ch.query<{ name: string; type: string }>(`DESCRIBE TABLE ${t.name}`, {
          tag: 'sql:describe',
          idempotent: true,
        });
        return {
          name: t.name,
          description: t.description,
          columns: columns.filter((c) => c.name !== 'tenant_id').map((c) => ({ name: c.name, type: c.type })),
        };
      }),
    ).catch((err: unknown) => {
      this.cached = null;
      throw err;
    });
    return this.cached;
  }
}
