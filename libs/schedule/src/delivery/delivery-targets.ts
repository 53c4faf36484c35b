import { isAbsolute } from 'node:path';
import type { DeliveryTarget } from './delivery.types';

/** The WHATWG (HTML form) email syntax: what browsers accept, no quoted local parts, a domain of DNS labels. */
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export const MAX_EMAIL_RECIPIENTS = 50;
const MAX_EMAIL_LENGTH = 254;
const MAX_SUBJECT_LENGTH = 200;
const MAX_URL_LENGTH = 2048;
const MAX_SECRET_LENGTH = 1024;
const MAX_PATH_LENGTH = 4096;

const FIELDS: Record<DeliveryTarget['type'], readonly string[]> = {
  folder: ['type', 'path'],
  email: ['type', 'to', 'subject'],
  webhook: ['type', 'url', 'secret'],
};

/**
 * What is wrong with a target from a request (null: nothing), naming the
 * field as the request does, e.g. 'targets[0].url must be an http or https URL'.
 */
export function validateTarget(target: unknown, index = 0): string | null {
  return targetProblem(target, `targets[${index}]`);
}

/** What is wrong with `target`, its fields named `<name>.<field>`. */
export function targetProblem(target: unknown, name: string): string | null {
  if (typeof target !== 'object' || target === null || Array.isArray(target)) {
    return `${name}.type must be folder, email or webhook (a target is an object)`;
  }
  const fields = target as Record<string, unknown>;
  const type = fields.type;
  if (type !== 'folder' && type !== 'email' && type !== 'webhook') {
    return `${name}.type must be folder, email or webhook`;
  }
  const unknown = Object.keys(fields).find((key) => !FIELDS[type].includes(key));
  if (unknown !== undefined) {
    return `${name}.${unknown} is not a field of a ${type} target (${FIELDS[type].slice(1).join(', ')})`;
  }
  switch (type) {
    case 'folder':
      return folderProblem(fields.path, `${name}.path`);
    case 'email':
      return recipientsProblem(fields.to, `${name}.to`) ?? subjectProblem(fields.subject, `${name}.subject`);
    case 'webhook':
      return urlProblem(fields.url, `${name}.url`) ?? secretProblem(fields.secret, `${name}.secret`);
  }
}

function folderProblem(path: unknown, name: string): string | null {
  if (typeof path !== 'string' || !isAbsolute(path) || path.length > MAX_PATH_LENGTH || path.includes('\0')) {
    return `${name} must be an absolute folder path, e.g. /srv/reports`;
  }
  return null;
}

function recipientsProblem(to: unknown, name: string): string | null {
  if (!Array.isArray(to) || to.length === 0 || to.length > MAX_EMAIL_RECIPIENTS) {
    return `${name} must be a list of 1 to ${MAX_EMAIL_RECIPIENTS} email addresses`;
  }
  const bad = to.findIndex((address) => !isEmailAddress(address));
  return bad >= 0 ? `${name}[${bad}] must be an email address, e.g. board@example.org` : null;
}

function subjectProblem(subject: unknown, name: string): string | null {
  if (subject === undefined) return null;
  if (typeof subject !== 'string' || subject.trim() === '' || subject.length > MAX_SUBJECT_LENGTH) {
    return `${name} must be text of 1 to ${MAX_SUBJECT_LENGTH} characters`;
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  return /[\u0000-\u001f\u007f]/.test(subject) ? `${name} must be one line without control characters` : null;
}

function urlProblem(raw: unknown, name: string): string | null {
  const url = typeof raw === 'string' && raw.length <= MAX_URL_LENGTH ? parseUrl(raw) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    return `${name} must be an http or https URL`;
  }
  if (url.username || url.password) {
    return `${name} must not carry credentials (user:password@): give a secret, which signs each request`;
  }
  return null;
}

function secretProblem(secret: unknown, name: string): string | null {
  if (secret === undefined) return null;
  if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET_LENGTH) {
    return `${name} must be text of 1 to ${MAX_SECRET_LENGTH} characters when given`;
  }
  return null;
}

export function isEmailAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_EMAIL_LENGTH && EMAIL.test(value);
}

function parseUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/**
 * A short, shareable description of a target for results and logs:
 * 'folder /srv/out', 'email to a@x.org, b@x.org', 'webhook https://host/path'
 * (a URL without its credentials, query string and fragment, which may hold tokens).
 */
export function describeTarget(target: DeliveryTarget): string {
  switch (target.type) {
    case 'folder':
      return `folder ${target.path}`;
    case 'email': {
      const shown = target.to.slice(0, 3).join(', ');
      return `email to ${shown}${target.to.length > 3 ? ` and ${target.to.length - 3} more` : ''}`;
    }
    case 'webhook':
      return `webhook ${publicUrl(target.url)}`;
  }
}

/** `raw` without credentials, query string and fragment. */
export function publicUrl(raw: string): string {
  const url = parseUrl(raw);
  if (!url) return '(an invalid URL)';
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.href;
}
