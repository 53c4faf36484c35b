import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ipaddr from 'ipaddr.js';
import { PermanentDeliveryError } from './delivery-errors';
import type { DeliveryTarget } from './delivery.types';

/** Where delivery may write and connect (the configuration's DELIVERY_FOLDER_ROOTS, WEBHOOK_ALLOW_HOSTS). */
export interface ConfinementOptions {
  /** Folder targets must resolve (symlinks followed) inside one of these. */
  folderRoots: readonly string[];
  /**
   * Never written into (the data directory, the export directory), unless
   * the target's root is itself inside one (the default root, DATA_DIR/deliveries).
   */
  protectedDirs: readonly string[];
  /** Host names, addresses or CIDR blocks a webhook may reach although they are not public. */
  webhookAllowHosts: readonly string[];
}

/** A target outside what delivery may reach: another attempt cannot fix it. */
export class TargetRefusedError extends PermanentDeliveryError {}

/**
 * The places delivery may reach, checked when a schedule is made and again at
 * every delivery (a symlink or a DNS answer can change in between):
 *
 * - a folder target's real path (symlinks resolved) lies inside a delivery
 *   root and not inside the data directory; missing folders are made one at
 *   a time under a checked parent, so a link cannot lead mkdir elsewhere;
 * - a webhook reaches only public unicast addresses (not loopback, private,
 *   link-local, metadata, carrier-grade NAT, multicast, NAT64 or 6to4, in any
 *   spelling: decimal, hex, IPv4-mapped), unless the host or address is listed;
 *   the address checked is the one connected to (lookup below), so a host
 *   that answers DNS differently the second time gains nothing.
 */
export class TargetConfinement {
  private readonly names = new Set<string>();
  private readonly blocks: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];

  constructor(private readonly options: ConfinementOptions) {
    for (const entry of options.webhookAllowHosts.map((h) => h.trim().toLowerCase()).filter(Boolean)) {
      if (entry.includes('/') && ipaddr.isValidCIDR(entry)) this.blocks.push(ipaddr.parseCIDR(entry));
      else if (ipaddr.isValid(entry)) {
        const address = ipaddr.process(entry);
        this.blocks.push([address, address.kind() === 'ipv4' ? 32 : 128]);
      } else this.names.add(entry.replace(/\.$/, ''));
    }
  }

  /** What keeps `target` out of reach (null: nothing), naming the field as `name`.field. */
  async targetProblem(target: DeliveryTarget, name: string): Promise<string | null> {
    try {
      if (target.type === 'folder') await this.folder(target.path);
      if (target.type === 'webhook') await this.resolveWebhook(new URL(target.url));
      return null;
    } catch (err) {
      const field = `${name}.${target.type === 'folder' ? 'path' : 'url'}`;
      if (err instanceof TargetRefusedError) return `${field} ${err.message}`;
      return `${field} cannot be checked: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
  }

  /**
   * The folder's real path, made if missing (one level at a time, each under
   * a parent already checked); TargetRefusedError when it leads outside the roots.
   */
  async prepareFolder(path: string): Promise<string> {
    const { real, missing } = await this.folder(path);
    let at = real;
    for (const part of missing) {
      at = join(at, part);
      await mkdir(at).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      if (!(await lstat(at)).isDirectory())
        throw new TargetRefusedError(`is not a folder: ${part} is a file or a link`);
    }
    // Checked again as it now is: whatever was made or swapped in meanwhile.
    const made = await realpath(resolve(path));
    if (!(await this.allowed(made))) throw new TargetRefusedError(this.outsideMessage());
    return made;
  }

  /** A host's addresses, refused unless each is public or listed (for a check before connecting). */
  async resolveWebhook(url: URL): Promise<string[]> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TargetRefusedError('must be an http or https URL');
    if (url.username || url.password) {
      throw new TargetRefusedError('must not carry credentials (user:password@): use the target’s secret');
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : (await lookupAll(host)).map((a) => a.address);
    for (const address of addresses) this.checkAddress(host, address);
    return addresses;
  }

  /**
   * A `lookup` for http.request: resolves as dns.lookup does and refuses any
   * address not allowed, so the address connected to is the one checked.
   */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true } as { all: true }, (err, found) => {
      if (err) return callback(err, options.all ? [] : '');
      try {
        for (const a of found) this.checkAddress(hostname, a.address);
      } catch (refused) {
        return callback(refused as Error, options.all ? [] : '');
      }
      if (options.all) callback(null, found);
      else callback(null, found[0].address, found[0].family);
    });
  };

  /** Refuses `address` (of `host`) unless it is public unicast or listed. */
  checkAddress(host: string, address: string): void {
    const parsed = ipaddr.process(address);
    const range = parsed.range();
    if (range === 'unicast' || this.listed(host, parsed)) return;
    const kind = RANGE_NAMES[range] ?? `a ${range}`;
    throw new TargetRefusedError(
      `must reach a public address; this host is ${kind} address (WEBHOOK_ALLOW_HOSTS lists exceptions)`,
    );
  }

  private listed(host: string, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    if (this.names.has(host.toLowerCase().replace(/\.$/, ''))) return true;
    return this.blocks.some(([block, bits]) => block.kind() === address.kind() && address.match(block, bits));
  }

  /** The target's real path as far as it exists, and the folders still to make under it. */
  private async folder(path: string): Promise<{ real: string; missing: string[] }> {
    const absolute = resolve(path);
    const missing: string[] = [];
    let existing = absolute;
    for (;;) {
      try {
        const real = await realpath(existing);
        if (!(await this.allowed(join(real, ...missing)))) throw new TargetRefusedError(this.outsideMessage());
        return { real, missing };
      } catch (err) {
        // Missing, or under a file (ENOTDIR): made later, where mkdir says what is wrong.
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (!['ENOENT', 'ENOTDIR'].includes(code) || dirname(existing) === existing) throw err;
        missing.unshift(relative(dirname(existing), existing));
        existing = dirname(existing);
      }
    }
  }

  /** Inside a root, and not inside a protected folder unless that root is itself inside it (all real paths). */
  private async allowed(real: string): Promise<boolean> {
    const roots = await Promise.all(this.options.folderRoots.map(realish));
    const guarded = await Promise.all(this.options.protectedDirs.map(realish));
    return roots.some(
      (root) => inside(real, root) && guarded.every((p) => !inside(real, p) || (inside(root, p) && root !== p)),
    );
  }

  private outsideMessage(): string {
    const roots = this.options.folderRoots.join(', ') || 'none configured';
    return `must be a folder inside a delivery root (DELIVERY_FOLDER_ROOTS: ${roots}), links resolved, and not the warehouse's data`;
  }
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback',
  private: 'a private',
  linkLocal: 'a link-local (or cloud metadata)',
  uniqueLocal: 'a unique-local (private)',
  unspecified: 'an unspecified',
  carrierGradeNat: 'a carrier-grade NAT (or cloud metadata)',
  multicast: 'a multicast',
  broadcast: 'a broadcast',
  reserved: 'a reserved',
  rfc6052: 'a NAT64',
  rfc6145: 'a NAT64',
  '6to4': 'a 6to4',
  teredo: 'a Teredo',
  ipv4Mapped: 'an IPv4-mapped',
};

function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** A folder's real path, or where it would be (a root not made yet resolves as written). */
async function realish(path: string): Promise<string> {
  return realpath(resolve(path)).catch(() => resolve(path));
}

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((done, fail) =>
    dnsLookup(host, { all: true }, (err, found) =>
      err
        ? fail(new TargetRefusedError(`has a host that cannot be resolved (${err.code ?? err.message})`))
        : done(found),
    ),
  );
}
