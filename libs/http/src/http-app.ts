import { type INestApplication, Logger, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AppConfig, validateConfig } from '@tallyhouse/config';
import express from 'express';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

export function logLevels(level: string): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level as LogLevel) + 1);
}

/**
 * Builds an HTTP app around a root module: event bodies read as bytes and
 * other JSON bodies as text (each path parses them itself, so a bad event
 * cannot fail the whole request), Swagger UI at /docs, graceful shutdown on SIGTERM.
 */
export interface HttpAppOptions {
  /** Adds what decorators cannot say to the OpenAPI document (for example one path per report). */
  document?: (doc: OpenAPIObject) => OpenAPIObject;
}

export async function createHttpApp(
  root: Type<unknown>,
  title: string,
  options: HttpAppOptions = {},
): Promise<INestApplication> {
  const config = validateConfig(process.env);
  const server = express();
  // One spelling per route: /V1/tenants is a 404, not /v1/tenants (the guard never looks at the path anyway).
  server.set('case sensitive routing', true);
  server.disable('x-powered-by');
  // Express answers OPTIONS for any known path by itself (listing its methods) before a guard runs.
  // The API is same-origin (no CORS), so OPTIONS has nothing to answer.
  server.use((req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (req.method !== 'OPTIONS') return next();
    res.status(405).set('Allow', 'GET, HEAD, POST, DELETE').json({
      statusCode: 405,
      message: 'OPTIONS is not answered: the API is same-origin only (no CORS)',
    });
  });
  const app = await NestFactory.create<NestExpressApplication>(root, new ExpressAdapter(server), {
    bodyParser: false,
    logger: logLevels(config.LOG_LEVEL),
  });
  const limit = config.INGEST_MAX_BODY_BYTES;
  const types = ['application/json', 'application/x-ndjson', 'application/jsonl', 'text/plain'];
  // Events as bytes: the ingest path decodes each event itself, so invalid UTF-8 in one is that event's
  // error (kept as received) rather than replacement characters stored as if sent.
  app.use('/v1/events', express.raw({ type: types, limit }));
  app.use(express.text({ type: types, limit }));
  app.enableShutdownHooks();
  const doc = new DocumentBuilder()
    .setTitle(title)
    .setDescription('Engagement events in ClickHouse: ingest, rollups and reports.')
    .setVersion('0.1.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'An API key (th_…): every /v1 route but signed links',
    })
    .build();
  const extend = options.document ?? ((d: OpenAPIObject) => d);
  SwaggerModule.setup('docs', app, () => extend(SwaggerModule.createDocument(app, doc)));
  return app;
}

export async function listen(app: INestApplication): Promise<string> {
  const config = app.get(AppConfig);
  await app.listen(config.PORT, config.HOST);
  const url = await app.getUrl();
  const shown = url.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  new Logger('Tallyhouse').log(
    `web page at ${shown}/  ·  API at ${shown}/v1  ·  docs at ${shown}/docs  ·  health at ${shown}/health`,
  );
  return shown;
}
