import { Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where `npm run build:web` writes the page (apps/web/vite.config.mts). */
export const WEB_DIST_DIR = resolve(process.cwd(), 'apps/web/dist');

// Paths the API owns: never answered with the page, so a wrong API path stays a JSON 404 however it
// is spelled (/V1/…, //v1/…, /%761/…).
const API_PATHS = /^\/(v1|docs|health|metrics)(\/|$|-)/i;
const FILE_LIKE = /\.[A-Za-z0-9]+$/;

/**
 * The web page (apps/web) at `/`: its built files, and index.html for any other GET that asks for
 * HTML outside the API, so a bookmarked page URL loads. Added when the module initialises, which is
 * after Nest registered its routes: an API route always wins over a file.
 */
@Injectable()
class WebPageMount implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const index = join(WEB_DIST_DIR, 'index.html');
    if (!existsSync(index)) {
      new Logger('WebPage').warn(`no web page at ${WEB_DIST_DIR}: run npm run build:web`);
      return;
    }
    const app = this.host.httpAdapter.getInstance<Express>();
    const files = express.static(WEB_DIST_DIR, { index: 'index.html', redirect: false });
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (API_PATHS.test(canonicalPath(req.path))) return next();
      files(req, res, () => {
        // A missing file (a path with an extension) stays a 404 rather than a page served as a script.
        if (req.method !== 'GET' || FILE_LIKE.test(req.path) || !req.accepts('html')) return next();
        res.sendFile(index);
      });
    });
  }
}

/** The path decoded, with runs of slashes as one. */
function canonicalPath(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A malformed escape stays as it is.
  }
  return decoded.replace(/\/{2,}/g, '/');
}

@Module({ providers: [WebPageMount] })
export class WebPageModule {}
