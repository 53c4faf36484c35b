import { Logger } from '@nestjs/common';
import type { AppConfig } from '@tallyhouse/config';
import { lchownSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export class RunAsUserError extends Error {}

/** The project's folder (apps, libs, node_modules): what the process reads after giving root up. */
const CODE_DIR = resolve(__dirname, '..', '..', '..');

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/**
 * A server started as root gives root up before it opens anything: it makes
 * RUN_AS_USER (default nobody) the owner of the data and export directories
 * (files a root-run CLI left there included), then switches to that user and
 * group for good. A query, a delivery or a bug then acts with that user's
 * rights: it cannot write /etc, read another user's files or bind a
 * privileged port. RUN_AS_USER=root keeps root (said in the log). Not root:
 * nothing to do. Call it first thing in a server's main, before the engine
 * loads (its threads would keep root otherwise).
 */
export function giveUpRoot(config: AppConfig, logger = new Logger('RunAs')): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  const name = config.RUN_AS_USER;
  if (name === 'root') {
    logger.warn('running as root because RUN_AS_USER=root: a query or delivery could act with every right');
    return;
  }
  const user = passwdEntry(name);
  if (!user) throw new RunAsUserError(`RUN_AS_USER=${name}: there is no such user (/etc/passwd)`);
  const dirs = [config.DATA_DIR, config.EXPORT_DIR].filter((d): d is string => !!d).map((d) => resolve(d));
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  // The user must reach the code it will go on loading and the folders it will own; where it cannot
  // (a checkout under /root, say), switching would only crash later: stay root and say so loudly.
  // (The data folders themselves become the user's; the code folder must already be open to others.)
  const blocked = [CODE_DIR, ...dirs.map((d) => dirname(d))].map(unreachableAncestor).find((b) => b !== null);
  if (blocked) {
    logger.warn(
      `stays root: ${name} cannot enter ${blocked}, above the code or DATA_DIR; move them, or set RUN_AS_USER to a user who can`,
    );
    return;
  }
  for (const dir of dirs) chownTree(dir, user.uid, user.gid);
  // They exist wherever getuid does (POSIX); groups first, the user last (after it, nothing can be changed back).
  process.setgroups!([user.gid]);
  process.setgid!(user.gid);
  process.setuid!(user.uid);
  logger.log(`started as root; runs as ${name} (uid ${user.uid}), which owns ${dirs.join(' and ')}`);
}

function passwdEntry(name: string): PasswdEntry | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name || uid === name) return { name: user, uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/** The first folder from `dir` up that others may not enter (no x bit for them), if any. */
function unreachableAncestor(dir: string): string | null {
  for (let at = dir; ; at = dirname(at)) {
    if ((statSync(at).mode & 0o001) === 0) return at;
    if (dirname(at) === at) return null;
  }
}

/** `dir` and everything in it to uid:gid, links themselves rather than what they point to. */
function chownTree(dir: string, uid: number, gid: number): void {
  lchownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(path, uid, gid);
    else lchownSync(path, uid, gid);
  }
}
