/** What a column holds; decides how its cells are written (see safe-cell.ts). */
export type ExportColumnType = 'string' | 'integer' | 'number' | 'percent' | 'date' | 'datetime';

export interface ExportColumn {
  name: string;
  type: ExportColumnType;
  description?: string;
}

/**
 * A value as it arrives from a report or a query: ClickHouse's HTTP client gives
 * 64-bit integers as strings, dates as 'YYYY-MM-DD' and instants as text.
 * Anything else (objects, arrays) is written as JSON text.
 */
export type ExportValue = string | number | null | undefined | boolean | Date | bigint | object;

export type ExportRow = Record<string, ExportValue>;

/** Where rows come from: a query's stream, a generator, or an array. */
export type ExportRows = AsyncIterable<ExportRow> | Iterable<ExportRow>;
