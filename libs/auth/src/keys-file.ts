import { chmodSync, writeFileSync } from 'node:fs';

/** Writes keys for the data directory's owner only (mode 0600), even if the file existed with looser rights. */
export function writeKeysFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}
