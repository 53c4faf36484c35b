import { readFile, writeFile } from 'node:fs/promises';
import officeCrypto from 'officecrypto-tool';

/** officecrypto-tool's limit (as Excel's). */
const MAX_PASSWORD_CHARS = 255;

/**
 * An XLSX encrypted with `password` (ECMA-376 agile encryption: AES-256,
 * SHA-512, 100,000 spins, as Excel writes it), which Excel and LibreOffice
 * open after asking for the password. The result is an OLE compound file,
 * not a zip.
 *
 * Not streamed: officecrypto-tool takes and returns whole buffers (and holds
 * the encrypted copy alongside), so this needs about three times the file's
 * size in memory. It is synchronous and blocks the event loop while it runs:
 * the key derivation (3 × 100,000 SHA-512 rounds) takes ~1.3 s, plus ~30 ms
 * per MB of file (measured on the dev box); a server should run it off the
 * request path (a job, or a worker thread).
 */
export function encryptXlsx(xlsx: Buffer, password: string): Buffer {
  if (!password) throw new Error('the password is empty');
  if (password.length > MAX_PASSWORD_CHARS) {
    throw new Error(`the password is longer than ${MAX_PASSWORD_CHARS} characters`);
  }
  return officeCrypto.encrypt(xlsx, { password });
}

/** encryptXlsx from file to file (the whole file is read into memory: see encryptXlsx). */
export async function encryptXlsxFile(inPath: string, outPath: string, password: string): Promise<void> {
  const encrypted = encryptXlsx(await readFile(inPath), password);
  await writeFile(outPath, encrypted);
}
