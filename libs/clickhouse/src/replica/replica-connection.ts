import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseError } from '@clickhouse/client';
import type { ReplicaReply, ReplicaRequest, SnapshotTable } from './replica-worker';

const SUMMARY = {
  read_rows: '0',
  read_bytes: '0',
  written_rows: '0',
  written_bytes: '0',
  result_rows: '0',
  result_bytes: '0',
  total_rows_to_read: '0',
  elapsed_ns: '0',
};

/**
 * A @clickhouse/client connection to a read replica process (replica-worker):
 * queries go over IPC and come back as bytes, errors in the engine's own
 * shape, so the one ClickHouseService wrapper (settings, tags, error classes,
 * the drain after a failure) works on it as on the embedded engine.
 */
export class ReplicaConnection {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;
  /** Settles when the process is gone (closed, killed or crashed). */
  readonly exited: Promise<void>;

  constructor(dir: string, userFiles: string) {
    // Run from the sources (ts-node, jest) or from a build: the worker is beside this file either way.
    const fromSource = __filename.endsWith('.ts');
    this.child = fork(join(__dirname, fromSource ? 'replica-worker.ts' : 'replica-worker.js'), [dir, userFiles], {
      execArgv: fromSource ? ['-r', 'ts-node/register/transpile-only'] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.exited = new Promise((done) => this.child.once('exit', () => done()));
    this.child.on('message', (reply: ReplicaReply) => {
      if (reply.kind !== 'result' && reply.kind !== 'error') return;
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.kind === 'result') waiting?.resolve(reply.bytes);
      else waiting?.reject(parseError(reply.message) as Error);
    });
    this.child.once('exit', (code, signal) => {
      for (const { reject } of this.pending.values()) {
        // As a dropped connection: the engine is unavailable, the query was fine.
        reject(
          Object.assign(new Error(`the read replica stopped (${signal ?? code}) before it answered`), {
            code: 'ECONNRESET',
          }),
        );
      }
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Creates the tables and attaches their frozen parts; resolves with the parts attached. */
  setup(tables: SnapshotTable[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const onReply = (reply: ReplicaReply) => {
        if (reply.kind === 'ready') resolve(reply.parts);
        else if (reply.kind === 'failed')
          reject(new Error(`the read replica could not attach the snapshot: ${reply.message}`));
        else return;
        this.child.off('message', onReply);
      };
      this.child.on('message', onReply);
      void this.exited.then(() => reject(new Error('the read replica stopped while it attached the snapshot')));
      this.send({ kind: 'setup', tables });
    });
  }

  async query(params: { query: string; query_params?: Record<string, unknown> }) {
    const bytes = await this.run(params.query, params.query_params);
    return { stream: readable(bytes), query_id: randomUUID(), response_headers: {}, http_status_code: 200 };
  }

  async exec(params: { query: string; query_params?: Record<string, unknown> }) {
    return { ...(await this.query(params)), summary: SUMMARY };
  }

  async command(params: { query: string; query_params?: Record<string, unknown> }) {
    await this.run(params.query, params.query_params);
    return { query_id: randomUUID(), response_headers: {}, http_status_code: 200, summary: SUMMARY };
  }

  async insert(): Promise<never> {
    throw new Error('the read replica takes no inserts');
  }

  async ping() {
    try {
      await this.run('SELECT 1');
      return { success: true as const };
    } catch (error) {
      return { success: false as const, error: error as Error };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.child.connected) this.child.disconnect();
    const gone = await Promise.race([
      this.exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 5000)),
    ]);
    if (!gone) this.child.kill('SIGKILL');
  }

  private run(sql: string, params?: Record<string, unknown>): Promise<Uint8Array> {
    if (this.closed || !this.child.connected) return Promise.reject(new Error('the read replica is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ kind: 'query', id, sql, params });
    });
  }

  private send(request: ReplicaRequest): void {
    this.child.send(request);
  }
}

function readable(bytes: Uint8Array): Readable {
  const stream = Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)], { objectMode: false });
  // A result set closed unread destroys its stream with an error: nothing to report.
  stream.on('error', () => undefined);
  return stream;
}
