/**
 * The read replica's process: a chDB session on a directory of its own,
 * holding a snapshot of some tables whose parts are hard links to the main
 * engine's frozen parts (no copy), answering queries sent by the parent over
 * IPC. It runs apart from the main engine, so a long query here holds back
 * nothing there. Exits with its parent.
 */
import { linkSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface SnapshotTable {
  name: string;
  ddl: string;
  /** Frozen part directories of the main engine (shadow/…/<part>). */
  parts: string[];
}

export type ReplicaRequest =
  | { kind: 'setup'; tables: SnapshotTable[] }
  | { kind: 'query'; id: number; sql: string; params?: Record<string, unknown> };

export type ReplicaReply =
  | { kind: 'ready'; parts: number }
  | { kind: 'failed'; message: string }
  | { kind: 'result'; id: number; bytes: Uint8Array }
  | { kind: 'error'; id: number; message: string };

interface ChdbResult {
  bytes(): Uint8Array;
}
interface ChdbSession {
  queryAsync(sql: string, opts?: { format?: string }): Promise<ChdbResult>;
  queryBindAsync(sql: string, params: object, opts?: { format?: string }): Promise<ChdbResult>;
  close(): void;
}

function main(): void {
  const [dir, userFiles] = process.argv.slice(2);
  mkdirSync(dir, { recursive: true });
  mkdirSync(userFiles, { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Session } = require('chdb') as { Session: new (path: string, opts?: object) => ChdbSession };
  const session = new Session(dir, { connectionArgs: [`--user_files_path=${userFiles}/`] });
  const send = (reply: ReplicaReply) => process.send?.(reply);

  process.on('message', (request: ReplicaRequest) => {
    if (request.kind === 'setup') {
      setup(session, request.tables).then(
        (parts) => send({ kind: 'ready', parts }),
        (err: Error) => send({ kind: 'failed', message: err.message }),
      );
      return;
    }
    const run =
      request.params && Object.keys(request.params).length > 0
        ? session.queryBindAsync(request.sql, request.params, { format: 'TabSeparated' })
        : session.queryAsync(request.sql, { format: 'TabSeparated' });
    run.then(
      (result) => send({ kind: 'result', id: request.id, bytes: result.bytes() }),
      (err: Error) => send({ kind: 'error', id: request.id, message: err.message }),
    );
  });
  process.on('disconnect', () => {
    session.close();
    process.exit(0);
  });
}

/** Creates each table as the main engine has it, links its frozen parts into detached/ and attaches them. */
async function setup(session: ChdbSession, tables: SnapshotTable[]): Promise<number> {
  let parts = 0;
  for (const table of tables) {
    await session.queryAsync(table.ddl);
    // Table names come from the parent's fixed list, never from a request.
    const found = await session.queryAsync(
      `SELECT data_paths[1] FROM system.tables WHERE database = currentDatabase() AND name = '${table.name}'`,
      { format: 'TabSeparatedRaw' },
    );
    const path = Buffer.from(found.bytes()).toString().trim();
    for (const source of table.parts) {
      const name = source.split('/').pop()!;
      const target = join(path, 'detached', name);
      mkdirSync(target, { recursive: true });
      for (const file of readdirSync(source)) linkSync(join(source, file), join(target, file));
      await session.queryAsync(`ALTER TABLE ${table.name} ATTACH PART '${name}'`);
      parts++;
    }
    // Nothing is written here: no merge is worth its time on a snapshot that lives minutes.
    await session.queryAsync(`SYSTEM STOP MERGES ${table.name}`);
  }
  return parts;
}

main();
