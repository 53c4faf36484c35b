import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Watches the stream an export writes to, so that a failed disk or a client
 * that went away ends the export with an error instead of leaving it waiting
 * for a 'drain' that never comes.
 */
export class OutputWatch {
  private failure: Error | null = null;
  private readonly waiters = new Set<(err: Error) => void>();
  private readonly onError = (err: Error) => this.fail(err);
  private readonly onClose = () => {
    if (!this.out.writableFinished) this.fail(new Error('the output closed before the export finished'));
  };

  constructor(private readonly out: Writable) {
    if (out.destroyed || out.writableEnded) throw new Error('the output is already closed');
    out.on('error', this.onError);
    out.on('close', this.onClose);
  }

  /** Records the first failure (of the output, or of a stage writing into it) and wakes every waiter. */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const wake of this.waiters) wake(err);
    this.waiters.clear();
  }

  /** Throws the failure, if any: called before each write. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** The next 'drain' of `stream` (the output or a stage before it), unless the output fails first. */
  drain(stream: EventEmitter): Promise<void> {
    let onDrain = () => {};
    const drained = new Promise<void>((resolve) => {
      onDrain = resolve;
      stream.once('drain', onDrain);
    });
    return this.race(drained).finally(() => stream.off('drain', onDrain));
  }

  /** `work`, unless the output fails first. */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const wake = (err: Error) => reject(err);
      this.waiters.add(wake);
      work.then(
        (value) => {
          this.waiters.delete(wake);
          resolve(value);
        },
        (err: unknown) => {
          this.waiters.delete(wake);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /** Stops watching (the export is done; the caller owns the stream again). */
  dispose(): void {
    this.out.off('error', this.onError);
    this.out.off('close', this.onClose);
  }
}
