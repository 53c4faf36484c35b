import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * An API key is `th_<8 hex>_<32 base64url>`: the first part (the prefix) names
 * the key and is stored in clear; the whole key is stored only as
 * HMAC-SHA256(salt, key) with a random salt. The secret part carries 192 random
 * bits, so a fast hash is enough: nothing short of the key itself matches.
 */
const KEY = /^(th_[0-9a-f]{8})_([A-Za-z0-9_-]{32})$/;

export interface NewKey {
  key: string;
  prefix: string;
  salt: string;
  hash: string;
}

export function generateKey(): NewKey {
  const prefix = `th_${randomBytes(4).toString('hex')}`;
  const key = `${prefix}_${randomBytes(24).toString('base64url')}`;
  const salt = randomBytes(16).toString('hex');
  return { key, prefix, salt, hash: hashKey(key, salt) };
}

export function hashKey(key: string, salt: string): string {
  return createHmac('sha256', salt).update(key).digest('hex');
}

/** The prefix of a well-formed key, or null. */
export function keyPrefix(key: string): string | null {
  return KEY.exec(key)?.[1] ?? null;
}

export function keyMatches(key: string, salt: string, hash: string): boolean {
  const a = Buffer.from(hashKey(key, salt), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export const PREFIX_PATTERN = /^th_[0-9a-f]{8}$/;
