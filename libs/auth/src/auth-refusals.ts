import { Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from './roles';

/** A request the guard refused with 403 (a role too low, or another tenant). */
export interface Refusal {
  principal: Principal;
  request: Request;
  reason: string;
}

type RefusalListener = (refusal: Refusal) => Promise<void>;

/**
 * Lets a module record refusals of its own routes (exports audit refused
 * downloads) without the guard knowing about it.
 */
@Injectable()
export class AuthRefusals {
  private readonly logger = new Logger(AuthRefusals.name);
  private readonly listeners: { pathPrefix: string; listener: RefusalListener }[] = [];

  on(pathPrefix: string, listener: RefusalListener): void {
    this.listeners.push({ pathPrefix, listener });
  }

  async refused(refusal: Refusal): Promise<void> {
    // The route's own pattern (as declared), not the path as the client spelled it.
    const route = (refusal.request.route as { path?: string } | undefined)?.path ?? refusal.request.path;
    for (const { pathPrefix, listener } of this.listeners) {
      if (!route.startsWith(pathPrefix)) continue;
      try {
        await listener(refusal);
      } catch (err) {
        this.logger.error(`recording a refusal of ${refusal.request.path} failed: ${(err as Error).message}`);
      }
    }
  }
}
