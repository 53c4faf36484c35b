import { type INestApplicationContext, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { validateConfig } from '@tallyhouse/config';

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}

export const out = (line = '') => process.stdout.write(line + '\n');

/** Boots a Nest application context (no HTTP server) on the configured engine. */
async function boot(module: Type<unknown>): Promise<INestApplicationContext> {
  const config = validateConfig(process.env);
  const levels: LogLevel[] = ['error', 'warn'];
  if (config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'verbose') levels.push('log', 'debug');
  return NestFactory.createApplicationContext(module, { logger: levels, abortOnError: false });
}

export async function withContext<T>(
  module: Type<unknown>,
  run: (app: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const app = await boot(module);
  try {
    return await run(app);
  } finally {
    await app.close();
  }
}

export function parseDate(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`--${name} must be a date (YYYY-MM-DD or ISO 8601), got "${value}"`);
  return d;
}
