import type { Row } from '../api/types';
import { formatCell, isNumericType } from '../format';

export interface TableColumn {
  name: string;
  type: string;
  description?: string;
}

const MAX_ROWS = 1000;

/** Rows as a table: numbers right-aligned in the browser's locale; the header explains each column. */
export function DataTable({ columns, rows, caption }: { columns: TableColumn[]; rows: Row[]; caption?: string }) {
  const shown = rows.slice(0, MAX_ROWS);
  return (
    <div className="table-wrap" tabIndex={0} aria-label={caption ?? 'results'}>
      <table data-testid="data-table">
        {caption && <caption>{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.name} title={c.description} className={isNumericType(c.type) ? 'num' : undefined}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td
                  key={c.name}
                  data-column={c.name}
                  data-value={row[c.name] ?? ''}
                  className={isNumericType(c.type) ? 'num' : undefined}
                >
                  {formatCell(row[c.name] ?? null, c.type)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > MAX_ROWS && (
        <p className="hint">
          Showing the first {MAX_ROWS.toLocaleString()} of {rows.length.toLocaleString()} rows; download for all.
        </p>
      )}
    </div>
  );
}
