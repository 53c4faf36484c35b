import type { Row } from '../api/types';
import { formatCell, isNumericType } from '../format';

export interface TableColumn {
  name: string;
  type: string;
  description?: string;
}

const MAX_ROWS = 1000;

/** Makes one column's cells links (for example a campaign to its daily view). */
export interface CellLink {
  column: string;
  href: (row: Row) => string | null;
}

/** Rows as a table: numbers right-aligned in the browser's locale; the header explains each column. */
export function DataTable({
  columns,
  rows,
  caption,
  link,
}: {
  columns: TableColumn[];
  rows: Row[];
  caption?: string;
  link?: CellLink;
}) {
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
                  <CellText row={row} column={c} link={link} />
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

function CellText({ row, column, link }: { row: Row; column: TableColumn; link?: CellLink }) {
  const text = formatCell(row[column.name] ?? null, column.type);
  const href = link?.column === column.name ? link.href(row) : null;
  return href ? <a href={href}>{text}</a> : <>{text}</>;
}
