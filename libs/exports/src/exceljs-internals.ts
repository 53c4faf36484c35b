import type { EventEmitter } from 'node:events';
import type { stream, Worksheet } from 'exceljs';

/**
 * The three private parts of exceljs 4.4's streaming writer this library
 * relies on (lib/stream/xlsx/workbook-writer.js, worksheet-writer.js), each
 * checked so that an upgrade that changes them fails loudly (the specs catch
 * it) rather than quietly buffering a whole export in memory.
 */

type WorkbookWriter = stream.xlsx.WorkbookWriter;

/** readable-stream 2's Writable, as archiver wraps each sheet's stream. */
interface WrappedStage extends EventEmitter {
  _writableState: { length: number; needDrain: boolean };
}

interface WorkbookWriterInternals {
  /** Sparse, indexed by sheet id; workbook.xml lists the tabs in this array's order. */
  _worksheets: (Worksheet | undefined)[];
  /** The archiver instance zipping the parts into the output. */
  zip: EventEmitter;
}

interface WorksheetWriterInternals {
  /** exceljs's StreamBuf for the sheet's XML; it pipes into archiver's wrapper (and ignores its backpressure). */
  stream: { pipes: WrappedStage[] };
}

function unsupported(what: string): Error {
  return new Error(
    `exceljs internals changed (${what}): check libs/exports/src/exceljs-internals.ts against its source`,
  );
}

/**
 * Sets the order of the tabs, as listed in workbook.xml, independently of the
 * order their parts were written to the zip (files are named by sheet id,
 * which stays as it is).
 */
export function orderTabs(workbook: WorkbookWriter, tabs: readonly Worksheet[]): void {
  const internals = workbook as unknown as Partial<WorkbookWriterInternals>;
  const current = internals._worksheets;
  if (!Array.isArray(current)) throw unsupported('WorkbookWriter._worksheets');
  const present = current.filter((ws): ws is Worksheet => ws !== undefined);
  if (present.length !== tabs.length || !tabs.every((ws) => present.includes(ws))) {
    throw new Error('orderTabs: tabs must be exactly the workbook sheets');
  }
  // Index 0 stays a hole, as in exceljs (ids start at 1; its loops skip holes, not undefined).
  const ordered: (Worksheet | undefined)[] = [];
  tabs.forEach((ws, i) => (ordered[i + 1] = ws));
  internals._worksheets = ordered;
}

/** The archiver behind the workbook: its errors (none expected) must reach the caller, not crash the process. */
export function zipOf(workbook: WorkbookWriter): EventEmitter {
  const zip = (workbook as unknown as Partial<WorkbookWriterInternals>).zip;
  if (!zip || typeof zip.on !== 'function') throw unsupported('WorkbookWriter.zip');
  return zip;
}

/**
 * The XML a sheet has produced that the zip has not taken yet. exceljs writes
 * into it without ever waiting, so the writer waits on it: this is what keeps
 * memory flat when compression or the output is slower than the rows.
 */
export class SheetBacklog {
  private readonly stage: WrappedStage;

  constructor(worksheet: Worksheet) {
    const pipes = (worksheet as unknown as Partial<WorksheetWriterInternals>).stream?.pipes;
    const stage = Array.isArray(pipes) && pipes.length === 1 ? pipes[0] : undefined;
    if (!stage || typeof stage._writableState?.length !== 'number' || typeof stage.once !== 'function') {
      throw unsupported('WorksheetWriter.stream.pipes[0]._writableState');
    }
    this.stage = stage;
  }

  /** More than a stream's high-water mark is waiting: wait for 'drain' on `emitter` before adding rows. */
  get full(): boolean {
    return this.stage._writableState.needDrain;
  }

  get emitter(): EventEmitter {
    return this.stage;
  }
}
