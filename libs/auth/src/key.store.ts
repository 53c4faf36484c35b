import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { chTime, ClickHouseService, isoTime } from '@tallyhouse/clickhouse';
import { AppConfig } from '@tallyhouse/config';
import { generateKey, keyMatches, keyPrefix } from './api-key';
import { isRole, type Principal, type Role } from './roles';

/** An api_keys row (latest state wins). */
interface KeyRow {
  prefix: string;
  salt: string;
  hash: string;
  role: string;
  tenant_id: string;
  name: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** A key as lists show it: never its hash, never the key. */
export interface KeyInfo {
  prefix: string;
  role: Role;
  tenant: string | null;
  name: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  status: 'active' | 'expired' | 'revoked';
}

export interface CreatedKey extends KeyInfo {
  /** The key itself: shown this once, stored only as a salted hash. */
  key: string;
}

export interface NewKeyRequest {
  role: Role;
  tenant: string | null;
  name: string;
  expiresDays?: number;
  createdBy: string;
}

export type KeyCheck =
  { ok: true; principal: Principal } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired' };

/**
 * API keys in ClickHouse, checked against a table of them held in memory, so
 * that no request waits for the engine to be told whether its key is good
 * (the embedded engine runs one query at a time: a key check queued behind an
 * analyst's 10-second query made every API call wait). The table is loaded
 * at start and read again every KEY_CACHE_SECONDS in the background; keys made
 * or revoked by this process change it at once. On the embedded engine that is
 * every key (one process owns the data directory); against a server, a key
 * another process made in the last seconds is looked up once on a miss, and a
 * revocation elsewhere takes effect within KEY_CACHE_SECONDS, as before.
 */
@Injectable()
export class KeyStore implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly keys = new Map<string, KeyRow>();
  /** Prefixes looked up on a miss (server engines), and when: not asked again for KEY_CACHE_SECONDS. */
  private readonly misses = new Map<string, number>();
  private loaded: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ch: ClickHouseService,
    private readonly config: AppConfig,
  ) {}

  /** After every module's init (the migrations made api_keys): load, then keep reading in the background. */
  async onApplicationBootstrap(): Promise<void> {
    await this.ready();
    const every = Math.max(1, this.config.KEY_CACHE_SECONDS) * 1000;
    this.timer = setInterval(() => void this.reload().catch(() => undefined), every);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private ready(): Promise<void> {
    this.loaded ??= this.reload();
    return this.loaded;
  }

  /** Reads every key again (what other processes, or a direct write, changed); resolves when the table is current. */
  async reload(): Promise<void> {
    const rows = await this.ch.query<KeyRow>('SELECT * EXCEPT updated_at FROM api_keys FINAL', {
      tag: 'auth:keys-table',
      idempotent: true,
    });
    this.keys.clear();
    for (const row of rows) this.keys.set(row.prefix, row);
    this.misses.clear();
  }

  async create(req: NewKeyRequest): Promise<CreatedKey> {
    const made = generateKey();
    const now = new Date();
    const row: KeyRow = {
      prefix: made.prefix,
      salt: made.salt,
      hash: made.hash,
      role: req.role,
      tenant_id: req.tenant ?? '',
      name: req.name,
      created_by: req.createdBy,
      created_at: chTime(now),
      expires_at: req.expiresDays ? chTime(new Date(now.getTime() + req.expiresDays * 86_400_000)) : null,
      revoked_at: null,
    };
    await this.save(row);
    return { ...info(row), key: made.key };
  }

  async list(tenant: string | null): Promise<KeyInfo[]> {
    const rows = await this.ch.query<KeyRow>(
      `SELECT * EXCEPT updated_at FROM api_keys FINAL
       WHERE {tenant:String} = '' OR tenant_id = {tenant:String}
       ORDER BY created_at`,
      { tag: 'auth:keys', params: { tenant: tenant ?? '' }, idempotent: true },
    );
    return rows.map(info);
  }

  async get(prefix: string): Promise<KeyInfo | null> {
    const row = await this.row(prefix);
    return row ? info(row) : null;
  }

  /** Revokes at once in this process (its table changes); the key's info, or null when it never existed. */
  async revoke(prefix: string): Promise<KeyInfo | null> {
    const row = await this.row(prefix);
    if (!row) return null;
    if (!row.revoked_at) {
      row.revoked_at = chTime(new Date());
      await this.save(row);
    }
    return info(row);
  }

  /** Whether any key was ever made by `creator` (revoked ones included). */
  async anyCreatedBy(creator: string): Promise<boolean> {
    const rows = await this.ch.query<{ n: string }>(
      'SELECT count() AS n FROM api_keys WHERE created_by = {creator:String}',
      {
        tag: 'auth:any-key',
        params: { creator },
        idempotent: true,
      },
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  /** Checks a presented key: well-formed, known, hash matching, not revoked, not expired. No engine call on the embedded engine. */
  async check(key: string, now = Date.now()): Promise<KeyCheck> {
    const prefix = keyPrefix(key);
    if (!prefix) return { ok: false, reason: 'malformed' };
    await this.ready();
    const row = this.keys.get(prefix) ?? (await this.lookUpMiss(prefix));
    if (!row || !keyMatches(key, row.salt, row.hash) || !isRole(row.role)) return { ok: false, reason: 'unknown' };
    if (row.revoked_at) return { ok: false, reason: 'revoked' };
    if (row.expires_at && Date.parse(isoTime(row.expires_at)) <= now) return { ok: false, reason: 'expired' };
    return { ok: true, principal: { prefix, role: row.role, tenant: row.tenant_id || null, name: row.name } };
  }

  private async save(row: KeyRow): Promise<void> {
    await this.ch.insertRows('api_keys', [{ ...row, updated_at: chTime(new Date()) }], { tag: 'auth:save-key' });
    this.keys.set(row.prefix, row);
  }

  /**
   * A prefix the table does not have: on the embedded engine this process made or loaded every key, so
   * it is unknown. A server may hold a key another process made since the last reload: asked once.
   */
  private async lookUpMiss(prefix: string): Promise<KeyRow | null> {
    if (this.ch.engine === 'embedded') return null;
    const asked = this.misses.get(prefix);
    if (asked !== undefined && Date.now() - asked < this.config.KEY_CACHE_SECONDS * 1000) return null;
    this.misses.set(prefix, Date.now());
    const row = await this.row(prefix);
    if (row) this.keys.set(prefix, row);
    return row;
  }

  private async row(prefix: string): Promise<KeyRow | null> {
    const rows = await this.ch.query<KeyRow>(
      `SELECT * EXCEPT updated_at FROM api_keys FINAL WHERE prefix = {prefix:String}`,
      { tag: 'auth:key', params: { prefix }, idempotent: true },
    );
    return rows[0] ?? null;
  }
}

function info(r: KeyRow): KeyInfo {
  const expires = isoTime(r.expires_at);
  const status = r.revoked_at ? 'revoked' : expires && Date.parse(expires) <= Date.now() ? 'expired' : 'active';
  return {
    prefix: r.prefix,
    role: r.role as Role,
    tenant: r.tenant_id || null,
    name: r.name,
    created_by: r.created_by,
    created_at: isoTime(r.created_at),
    expires_at: expires,
    revoked_at: isoTime(r.revoked_at),
    status,
  };
}
