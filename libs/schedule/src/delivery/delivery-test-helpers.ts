import { Logger, type LoggerService } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { DeliveryContext, DeliveryFile } from './delivery.types';

/** A fresh folder under the system's temporary directory; `remove` deletes it. */
export async function tempFolder(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tallyhouse-delivery-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Writes `content` to `dir/name` and describes it as a run's file. */
export async function sampleFile(
  dir: string,
  name: string,
  content: Buffer | string,
  rows = 1234,
  contentType = 'text/csv; charset=utf-8',
): Promise<DeliveryFile> {
  const bytes = Buffer.from(content);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return {
    path,
    fileName: name,
    contentType,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    rows,
  };
}

export const sampleContext: DeliveryContext = {
  scheduleId: 'c0ffee00-0000-4000-8000-000000000001',
  scheduleName: 'Monthly usage',
  runId: 'c0ffee00-0000-4000-8000-000000000001:2026-11-01T06:00:00.000Z',
  report: 'account-usage',
  scheduledFor: '2026-11-01T06:00:00.000Z',
  downloadUrl:
    'http://localhost:3000/v1/schedules/runs/c0ffee00-0000-4000-8000-000000000001%3A2026-11-01T06%3A00%3A00.000Z/file?expires=1790000000&signature=0123456789abcdef',
};

/** Sends Nest's log lines to an array instead of the console, to check what is logged. */
export function captureLogs(): string[] {
  const lines: string[] = [];
  const keep = (message: unknown) => void lines.push(String(message));
  const logger: LoggerService = { log: keep, error: keep, warn: keep, debug: keep, verbose: keep, fatal: keep };
  Logger.overrideLogger(logger);
  return lines;
}

export interface ReceivedMail {
  /** Who logged in, if anyone. */
  user?: string;
  from: string;
  to: string[];
  /** The message as it arrived (CRLF lines). */
  raw: string;
}

export interface TestSmtpServer {
  port: number;
  messages: ReceivedMail[];
  /** RCPT TO attempts seen, refused ones included. */
  recipientsTried: string[];
  /** Addresses the server answers 550 to. */
  refuse: Set<string>;
  close: () => Promise<void>;
}

/** A real SMTP server on 127.0.0.1 (no TLS; login accepted) that keeps what it receives. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const recipientsTried: string[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username });
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      recipientsTried.push(address.address);
      if (!refuse.has(address.address)) return callback();
      callback(Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope;
        messages.push({
          user: typeof session.user === 'string' ? session.user : undefined,
          from: mailFrom ? mailFrom.address : '',
          to: rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { port, messages, recipientsTried, refuse, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The value of header `name` in a raw message (folded lines joined). */
export function mailHeader(raw: string, name: string): string | undefined {
  const head = raw.split('\r\n\r\n', 1)[0].replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

interface MimePart {
  headers: string;
  body: string;
}

/** The leaf parts of a raw message, one level of multipart deep (what nodemailer writes for text + attachment). */
function mimeParts(raw: string): MimePart[] {
  const [headers, ...rest] = raw.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headers.replace(/\r\n[ \t]+/g, ' '))?.[1];
  if (!boundary || !/^content-type:\s*multipart\//im.test(headers)) return [{ headers, body }];
  return body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      const [h, ...b] = part.replace(/^\r\n/, '').split('\r\n\r\n');
      return { headers: h.replace(/\r\n[ \t]+/g, ' '), body: b.join('\r\n\r\n').replace(/\r\n$/, '') };
    });
}

/** The decoded text/plain part of a raw message. */
export function mailText(raw: string): string {
  const part = mimeParts(raw).find((p) => /content-type:\s*text\/plain/i.test(p.headers));
  if (!part) throw new Error('no text/plain part');
  if (/content-transfer-encoding:\s*base64/i.test(part.headers)) {
    return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  if (/content-transfer-encoding:\s*quoted-printable/i.test(part.headers)) {
    return quotedPrintable(part.body).replace(/\r\n/g, '\n');
  }
  return part.body.replace(/\r\n/g, '\n');
}

function quotedPrintable(text: string): string {
  const soft = text.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The attachments of a raw message: file name and decoded bytes. */
export function mailAttachments(raw: string): { fileName: string; bytes: Buffer }[] {
  return mimeParts(raw)
    .filter((p) => /content-disposition:\s*attachment/i.test(p.headers))
    .map((p) => ({
      fileName: /filename="?([^";\r\n]+)"?/i.exec(p.headers)?.[1] ?? '',
      bytes: /content-transfer-encoding:\s*base64/i.test(p.headers)
        ? Buffer.from(p.body.replace(/\s+/g, ''), 'base64')
        : Buffer.from(p.body),
    }));
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface TestHttpServer {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  close: () => Promise<void>;
}

export type Answer = (request: ReceivedRequest, res: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 that keeps every request and answers with `answer` (default 200). */
export async function startHttpServer(answer: Answer): Promise<TestHttpServer> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(request);
      answer(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}`, port, requests, close };
}
