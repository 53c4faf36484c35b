import type { Worksheet } from 'exceljs';
import type { ExportColumn, ExportColumnType, ExportValue } from './export-column';
import { toSafeCell } from './safe-cell';
import { boldText as bold, columnWidths, toXlsxCell, writeCells, type XlsxCell } from './xlsx-cells';
import type { XlsxTab } from './xlsx-export-sheet';
import type { ZoneClock } from './zone-clock';

/** What the About sheet says about an export. */
export interface AboutInfo {
  /** The report's id (e.g. 'campaign-performance'), or what ran (e.g. 'sql'). */
  reportName: string;
  title: string;
  /** One row each, in this order. */
  parameters?: Record<string, ExportValue>;
  /** When the export was made (default: when the writer was created). */
  generatedAt?: Date;
  /** Up to when the data is complete: events that arrive later are not in it. */
  dataCompleteAsOf?: Date | string | null;
  /** Further lines at the end (e.g. the query of an ad hoc export). */
  notes?: string[];
}

/** A data sheet as the About sheet lists it. */
export interface AboutSheetEntry {
  tabs: XlsxTab[];
  columns: readonly ExportColumn[];
}

type AboutRow = (XlsxCell | null)[];

/**
 * Writes the About sheet: the report, its parameters, the time zone of the
 * date-times, when the data was complete, the rows of every tab (a sheet
 * continued on another says so), and the columns that have a description.
 */
export function writeAboutSheet(
  worksheet: Worksheet,
  info: AboutInfo,
  sheets: readonly AboutSheetEntry[],
  clock: ZoneClock,
  maxRowsPerSheet: number,
): void {
  const text = (value: ExportValue) => cell(value, 'string', clock);
  const instant = (value: ExportValue) => cell(value, 'datetime', clock);
  const rows: AboutRow[] = [];
  const heading = (...labels: string[]) => rows.push(labels.map(bold));

  rows.push([bold('Report'), text(info.reportName)]);
  rows.push([bold('Title'), text(info.title)]);
  const params = Object.entries(info.parameters ?? {});
  rows.push([bold('Parameters'), params.length ? null : text('none')]);
  for (const [name, value] of params) rows.push([text(name), text(value)]);
  rows.push([bold('Time zone'), text(`${clock.timeZone} (all date-times are shown in it)`)]);
  rows.push([bold('Generated at'), instant(info.generatedAt ?? null)]);
  rows.push([bold('Data complete as of'), info.dataCompleteAsOf ? instant(info.dataCompleteAsOf) : text('not known')]);
  for (const note of info.notes ?? []) rows.push([bold('Note'), text(note)]);

  rows.push([]);
  heading('Sheet', 'Rows', 'Note');
  let total = 0;
  let continued = false;
  for (const { tabs } of sheets) {
    tabs.forEach((tab, i) => {
      const notes = [
        i > 0 ? `continued from '${tabs[i - 1].name}'` : '',
        i < tabs.length - 1 ? `continues on '${tabs[i + 1].name}'` : '',
      ].filter(Boolean);
      rows.push([text(tab.name), cell(tab.rows, 'integer', clock), notes.length ? text(notes.join('; ')) : null]);
      total += tab.rows;
      continued ||= tabs.length > 1;
    });
  }
  rows.push([bold('Total'), cell(total, 'integer', clock)]);
  if (continued) {
    const limit = maxRowsPerSheet.toLocaleString('en-US');
    rows.push([
      bold('Note'),
      text(`A sheet holds at most ${limit} rows (header included); more continue on the next.`),
    ]);
  }

  const described = sheets.flatMap(({ tabs, columns }) =>
    columns.filter((c) => c.description).map((c) => [tabs[0]?.name ?? '', c.name, c.description ?? '']),
  );
  if (described.length) {
    rows.push([]);
    heading('Sheet', 'Column', 'Description');
    for (const [sheet, column, description] of described) rows.push([text(sheet), text(column), text(description)]);
  }

  worksheet.columns = columnWidths(['', '', ''], rows).map((width) => ({ width }));
  for (const cells of rows) writeCells(worksheet, cells);
  worksheet.commit();
}

function cell(value: ExportValue, type: ExportColumnType, clock: ZoneClock): XlsxCell | null {
  return toXlsxCell(toSafeCell(value, type), type, clock);
}
