import { Injectable } from '@nestjs/common';
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
 * API keys in ClickHouse, looked up by prefix. Rows are cached for
 * KEY_CACHE_SECONDS; a revocation in this process drops the entry at once,
 * another process sees it when its entry ages out.
 */
@Injectable()
export class KeyStore {
  private readonly cache = new Map<string, { row: KeyRow | null; until: number }>();

  constructor(
    private readonly ch: ClickHouseService,
    private readonly config: AppConfig,
  ) {}

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
    const row = await this.row(prefix, true);
    return row ? info(row) : null;
  }

  /** Revokes at once in this process (the cache entry goes); true when the key existed. */
  async revoke(prefix: string): Promise<KeyInfo | null> {
    const row = await this.row(prefix, true);
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

  /** Checks a presented key: well-formed, known, hash matching, not revoked, not expired. */
  async check(key: string, now = Date.now()): Promise<KeyCheck> {
    const prefix = keyPrefix(key);
    if (!prefix) return { ok: false, reason: 'malformed' };
    const row = await this.row(prefix, false);
    if (!row || !keyMatches(key, row.salt, row.hash) || !isRole(row.role)) return { ok: false, reason: 'unknown' };
    if (row.revoked_at) return { ok: false, reason: 'revoked' };
    if (row.expires_at && Date.parse(isoTime(row.expires_at)) <= now) return { ok: false, reason: 'expired' };
    return { ok: true, principal: { prefix, role: row.role, tenant: row.tenant_id || null, name: row.name } };
  }

  private async save(row: KeyRow): Promise<void> {
    await this.ch.insertRows('api_keys', [{ ...row, updated_at: chTime(new Date()) }], { tag: 'auth:save-key' });
    this.cache.delete(row.prefix);
  }

  private async row(prefix: string, fresh: boolean): Promise<KeyRow | null> {
    const cached = this.cache.get(prefix);
    if (!fresh && cached && cached.until > Date.now()) return cached.row;
    const rows = await this.ch.query<KeyRow>(
      `SELECT * EXCEPT updated_at FROM api_keys FINAL WHERE prefix = {prefix:String}`,
      { tag: 'auth:key', params: { prefix }, idempotent: true },
    );
    const row = rows[0] ?? null;
    this.cache.set(prefix, { row, until: Date.now() + this.config.KEY_CACHE_SECONDS * 1000 });
    return row;
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
