import { generateKey, hashKey, keyMatches, keyPrefix } from './api-key';

describe('API keys', () => {
  it('are shown once as prefix_secret and stored as a salted hash only', () => {
    const k = generateKey();
    expect(k.key).toMatch(/^th_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/);
    expect(k.key.startsWith(k.prefix + '_')).toBe(true);
    expect(k.hash).not.toContain(k.key);
    expect(keyMatches(k.key, k.salt, k.hash)).toBe(true);
    expect(keyMatches(k.key + 'x', k.salt, k.hash)).toBe(false);
    expect(keyMatches(k.key, 'other-salt', k.hash)).toBe(false);
  });

  it('hash differently under different salts (the same key never hashes the same twice)', () => {
    expect(hashKey('th_00000000_x', 'a')).not.toBe(hashKey('th_00000000_x', 'b'));
  });

  it('reads the prefix only of a well-formed key', () => {
    const k = generateKey();
    expect(keyPrefix(k.key)).toBe(k.prefix);
    expect(keyPrefix('th_zz_nope')).toBeNull();
    expect(keyPrefix('')).toBeNull();
  });
});
