import { Injectable } from '@nestjs/common';
import type { Writable } from 'node:stream';
import { AppConfig } from '@tallyhouse/config';
import { ReportService, type PreparedReport } from '@tallyhouse/reports';
import { writeCsv } from '../csv-export-writer';
import { reclaimHeap } from '../heap-reclaim';
import { XlsxExportWriter } from '../xlsx-export-writer';
import type { ExportFormat } from './export-job';

export interface ReportFileProgress {
  /** Data rows written so far, all sheets. */
  rows: number;
  /** 0–1 of the work, when known. */
  fraction: number | null;
}

export interface ReportFileSummary {
  rows: number;
  sheets: { name: string; rows: number }[];
}

/**
 * Writes a report as a file into a stream: CSV is the report as asked; XLSX is
 * the report's workbook (its own sheets, as campaign-performance's Campaign,
 * CampaignStat, CampaignUser and User) or one sheet named after it, with an
 * About sheet first. Rows come from ReportService page by page, so nothing is
 * computed twice and nothing is held whole.
 */
@Injectable()
export class ReportFileWriter {
  constructor(
    private readonly reports: ReportService,
    private readonly config: AppConfig,
  ) {}

  async write(
    prepared: PreparedReport,
    query: Record<string, unknown>,
    format: ExportFormat,
    out: Writable,
    progress: (p: ReportFileProgress) => void = () => undefined,
  ): Promise<ReportFileSummary> {
    const every = this.config.EXPORT_GC_EVERY_ROWS;
    let reclaimedAt = 0;
    const onProgress = (p: ReportFileProgress) => {
      if (every > 0 && p.rows - reclaimedAt >= every) {
        reclaimedAt = p.rows;
        reclaimHeap();
      }
      progress(p);
    };
    if (format === 'csv') {
      let fraction: number | null = null;
      const summary = await writeCsv(
        prepared.meta.columns,
        this.reports.rows(prepared, (f) => (fraction = f)),
        out,
        { bom: true, end: true, onProgress: (rows) => onProgress({ rows, fraction }) },
      );
      return { rows: summary.rows, sheets: [{ name: prepared.meta.report, rows: summary.rows }] };
    }

    const { def, params, meta } = prepared;
    const parts = def.workbook?.(params) ?? [{ sheet: meta.title, params: {} }];
    let done = 0;
    let within = 0;
    let rows = 0;
    const report = () => onProgress({ rows, fraction: (done + within) / parts.length });
    const book = new XlsxExportWriter(out, {
      timeZone: meta.time_zone,
      maxRowsPerSheet: this.config.EXPORT_MAX_ROWS_PER_SHEET,
      about: {
        reportName: meta.report,
        title: meta.title,
        parameters: Object.fromEntries(
          Object.entries({ ...meta.params, from: meta.from, to: meta.to }).filter(([, v]) => v !== undefined),
        ),
        dataCompleteAsOf: await this.reports.dataAsOf(params.tenant),
        notes: [def.description],
      },
      onProgress: (n) => {
        rows = n;
        report();
      },
    });
    for (const part of parts) {
      const sheetReport = Object.keys(part.params).length
        ? await this.reports.prepare(meta.report, { ...query, ...part.params })
        : prepared;
      const sheet = book.addSheet(part.sheet, sheetReport.meta.columns);
      within = 0;
      await book.writeRows(
        sheet,
        this.reports.rows(sheetReport, (f) => {
          within = f;
          report();
        }),
      );
      done++;
      within = 0;
      report();
    }
    const summary = await book.finish();
    return { rows: summary.rows, sheets: summary.sheets };
  }
}
