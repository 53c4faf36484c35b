import { type INestApplication, Logger, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AppConfig, validateConfig } from '@tallyhouse/config';
import express from 'express';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

export function logLevels(level: string): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level as LogLevel) + 1);
}

/**
 * Builds an HTTP app around a root module: event bodies read as text (the
 * ingest path parses them itself, so a bad line cannot fail the whole
 * request), Swagger UI at /docs, graceful shutdown on SIGTERM.
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
  const app = await NestFactory.create<NestExpressApplication>(root, {
    bodyParser: false,
    logger: logLevels(config.LOG_LEVEL),
  });
  const limit = config.INGEST_MAX_BODY_BYTES;
  app.use(
    express.text({ type: ['application/json', 'application/x-ndjson', 'application/jsonl', 'text/plain'], limit }),
  );
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
