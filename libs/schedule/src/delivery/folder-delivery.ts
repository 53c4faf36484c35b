import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { constants, copyFile, link, rename, rm, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DeliveryFile, DeliveryOutcome, FolderTarget } from './delivery.types';
import type { TargetConfinement } from './target-confinement';

/** Names tried before giving up: a folder with this many versions of one report is a sign of trouble. */
const MAX_VERSIONS = 1000;

/** Filesystems without hard links (some network shares) answer link() with one of these. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Copies a run's file into a folder under its file name. The copy is written
 * to a hidden temporary name in the same folder first and only then given its
 * name, so a reader (or a watcher picking up *.xlsx) never sees half a file.
 * A name already taken by different content (another run's file) is kept:
 * this one becomes 'name (2).xlsx', 'name (3).xlsx', ... A name holding the
 * same content is this run's file from an earlier attempt: nothing is copied.
 * The folder is the confinement's: its real path inside a delivery root,
 * missing folders made there; nothing is ever written through a link.
 */
export class FolderDelivery {
  constructor(private readonly confinement: TargetConfinement) {}

  async deliver(target: FolderTarget, file: DeliveryFile): Promise<DeliveryOutcome> {
    const folder = await this.confinement.prepareFolder(target.path);
    const name = safeFileName(file.fileName);
    const temp = join(folder, `.${name}.${randomUUID().slice(0, 8)}.partial`);
    try {
      await copyFile(file.path, temp, constants.COPYFILE_EXCL);
      for (let version = 1; version <= MAX_VERSIONS; version++) {
        const location = join(folder, versionedName(name, version));
        if ((await placeAt(temp, location)) || (await holdsFile(location, file))) return { mode: 'file', location };
      }
      throw new Error(`${folder} already holds ${MAX_VERSIONS} different files named like ${name}`);
    } finally {
      await rm(temp, { force: true });
    }
  }
}

/**
 * Gives `temp` the name `location` unless that name exists (false). A hard
 * link is used rather than rename() because rename() would silently replace
 * a file another process put there since it was checked; link() fails instead.
 */
async function placeAt(temp: string, location: string): Promise<boolean> {
  try {
    await link(temp, location);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw err;
  }
  if (await exists(location)) return false;
  await rename(temp, location);
  return true;
}

/** True when `location` is a file with exactly `file`'s bytes. */
async function holdsFile(location: string, file: DeliveryFile): Promise<boolean> {
  const found = await stat(location).catch(() => null);
  if (!found?.isFile() || found.size !== file.bytes) return false;
  const hash = createHash('sha256');
  await pipeline(createReadStream(location), hash);
  return hash.digest('hex') === file.sha256.toLowerCase();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** `fileName` as one name inside the folder: separators and control characters become '_'. */
export function safeFileName(fileName: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  const name = fileName.replace(/[/\\\u0000-\u001f\u007f]/g, '_').trim();
  return name === '' || name === '.' || name === '..' ? 'report' : name;
}

/** 'a.xlsx', 'a (2).xlsx', 'a (3).xlsx', ... */
export function versionedName(name: string, version: number): string {
  if (version === 1) return name;
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)} (${version})${ext}`;
}
