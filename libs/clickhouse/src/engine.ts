import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

export interface EngineOptions {
  /** ClickHouse server over HTTP; unset means the embedded engine. */
  url?: string;
  username?: string;
  password?: string;
  database?: string;
  /** Data directory of the embedded engine. */
  dataDir: string;
}

export type EngineKind = 'embedded' | 'server';

/**
 * One client type for both engines: `@clickhouse/client`, either over HTTP or
 * with chDB plugged in as its connection (the real engine, in-process).
 */
export function createEngineClient(options: EngineOptions): { client: ClickHouseClient; kind: EngineKind } {
  if (options.url) {
    const client = createClient({
      url: options.url,
      username: options.username,
      password: options.password,
      database: options.database,
      request_timeout: 300_000,
      max_open_connections: 16,
    });
    return { client, kind: 'server' };
  }
  const path = resolve(options.dataDir, 'clickhouse');
  mkdirSync(path, { recursive: true });
  // Files the engine may read by a relative name: an empty folder of its own, holding nothing.
  const userFiles = resolve(options.dataDir, 'user_files');
  mkdirSync(userFiles, { recursive: true });
  // Loaded lazily: the server form never needs the 500 MB native library.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { Session } = require('chdb') as typeof import('chdb');
  const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/dist/connection/index');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Engine options are given when a data directory's native connection opens, and createChdbConnection
  // takes none: this first session on the path opens it with ours, and the connection below shares it
  // (chDB keeps one native connection per path). It lives as long as the client.
  const configured = new Session(path, { connectionArgs: [`--user_files_path=${userFiles}/`] });
  // chdb types its connection against @clickhouse/client-common's copy of the
  // interfaces; the shapes are the same, the declarations are not.
  const connection = createChdbConnection({ path }) as unknown as NonNullable<
    Parameters<typeof createClient>[0]
  >['connection'];
  const client = createClient({ connection });
  const close = client.close.bind(client);
  client.close = async () => {
    try {
      await close();
    } finally {
      configured.close();
    }
  };
  return { client, kind: 'embedded' };
}
