import { SingleBar } from 'cli-progress';

/** A progress bar on stderr (drawn only on a terminal), with rows, rows/s and ETA. */
export function progressBar(label: string, unit: string): SingleBar {
  return new SingleBar({
    format: `${label} |{bar}| {percentage}% | {done} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    etaBuffer: 20,
    fps: 5,
    stream: process.stderr,
  });
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Peak resident memory while the command runs (TALLYHOUSE_REPORT_RSS=1 prints it). */
export class RssTracker {
  peak = process.memoryUsage().rss;
  /** JavaScript's own share: V8 heap plus buffers (what this process's code holds, without the engine). */
  peakJs = 0;
  peakHeap = 0;
  peakExternal = 0;
  /** RSS once the engine is open and migrated, before any work: what the import adds is peak - base. */
  base = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.peak) this.peak = m.rss;
    const js = m.heapUsed + m.external;
    if (js > this.peakJs) this.peakJs = js;
    if (m.heapUsed > this.peakHeap) this.peakHeap = m.heapUsed;
    if (m.external > this.peakExternal) this.peakExternal = m.external;
  }

  markBase(): void {
    this.base = process.memoryUsage().rss;
    this.peak = this.base;
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}
