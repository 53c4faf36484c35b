import { Injectable, Logger, Optional } from '@nestjs/common';
import { join } from 'node:path';
import { KeyStore, writeKeysFile } from '@tallyhouse/auth';
import { AppConfig } from '@tallyhouse/config';
import { DEMO_TENANTS } from './tenants';

/**
 * On the first start with demo data (no demo key was ever made): a local admin key and
 * a manager key per demo tenant, printed once in the start log and written to
 * DATA_DIR/keys.txt for the owner only (0600). Never again: later starts find
 * keys and leave them alone.
 */
@Injectable()
export class DemoKeys {
  private readonly logger = new Logger('DemoKeys');

  constructor(
    private readonly config: AppConfig,
    @Optional() private readonly keys?: KeyStore,
  ) {}

  /** The path written, or null when keys existed already (or no key store: the CLI's demo command). */
  async createIfNone(): Promise<string | null> {
    if (!this.keys || (await this.keys.anyCreatedBy('demo'))) return null;
    const made = [await this.keys.create({ role: 'admin', tenant: null, name: 'local admin', createdBy: 'demo' })];
    for (const t of DEMO_TENANTS) {
      made.push(
        await this.keys.create({ role: 'manager', tenant: t.tenant_id, name: `${t.name} manager`, createdBy: 'demo' }),
      );
    }
    const lines = made.map((k) => `${k.role.padEnd(8)} ${(k.tenant ?? '*').padEnd(16)} ${k.key}`);
    const path = join(this.config.DATA_DIR, 'keys.txt');
    writeKeysFile(
      path,
      `# Tallyhouse demo API keys, made on the first start; shown once, stored only as hashes.\n` +
        `# Use: curl -H "Authorization: Bearer KEY" ...   Revoke: npm run cli -- keys revoke PREFIX\n` +
        lines.join('\n') +
        '\n',
    );
    this.logger.log(`API keys (shown once; also in ${path}, mode 0600):\n  ${lines.join('\n  ')}`);
    return path;
  }
}
