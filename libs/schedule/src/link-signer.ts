import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Signed, expiring download links for delivered files: HMAC-SHA256 over the
 * path and the expiry. The secret is LINK_SIGNING_SECRET or one generated
 * into DATA_DIR/link-signing.key (owner-only), so links outlive restarts.
 */
export class LinkSigner {
  private readonly secret: Buffer;

  constructor(secret: string | undefined, dataDir: string) {
    this.secret = secret ? Buffer.from(secret) : LinkSigner.keyFile(join(dataDir, 'link-signing.key'));
  }

  private static keyFile(path: string): Buffer {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    }
    return Buffer.from(readFileSync(path, 'utf8').trim());
  }

  /** `path?expires=…&signature=…` valid until `expiresAt`. */
  sign(path: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `${path}?expires=${expires}&signature=${this.mac(path, expires)}`;
  }

  /** True when the signature is this service's for `path` and the link has not expired. */
  verify(path: string, expires: string | undefined, signature: string | undefined, now = new Date()): boolean {
    const e = Number(expires);
    if (!Number.isInteger(e) || !signature || e * 1000 < now.getTime()) return false;
    const want = Buffer.from(this.mac(path, e));
    const got = Buffer.from(signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  private mac(path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${path}\n${expires}`).digest('hex');
  }
}
