// The one way the page talks to the server: the public API with the user's key.

const KEY_STORAGE = 'tallyhouse.api-key';

/** The key lives in sessionStorage only: gone when the tab closes, never put in a URL. */
export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string): void => sessionStorage.setItem(KEY_STORAGE, key),
  clear: (): void => sessionStorage.removeItem(KEY_STORAGE),
};

/** An answer other than 2xx, with the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

interface ErrorBody {
  message?: string | string[];
  code?: string;
  field?: string;
}

/** Called on every 401, so the app can ask for a key again. */
let onUnauthorized: (message: string) => void = () => {};
export function handleUnauthorized(handler: (message: string) => void): void {
  onUnauthorized = handler;
}

async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = apiKey.get();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  const res = await fetch(path, { ...init, headers });
  if (res.ok) return res;
  const text = await res.text();
  let body: ErrorBody = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    body = { message: text || res.statusText };
  }
  const message = Array.isArray(body.message) ? body.message.join('; ') : (body.message ?? res.statusText);
  const error = new ApiError(res.status, message, body.code, body.field);
  if (res.status === 401) onUnauthorized(message);
  throw error;
}

export async function getJson<T>(path: string, query: Record<string, string> = {}): Promise<T> {
  const qs = new URLSearchParams(query).toString();
  const res = await send(qs ? `${path}?${qs}` : path, { headers: { Accept: 'application/json' } });
  return (await res.json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await send(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as T;
}

/** A file from the API, fetched with the key (a bare link could not send it) and saved by the browser. */
export async function download(path: string, init: RequestInit, fallbackName: string): Promise<void> {
  const res = await send(path, init);
  const blob = await res.blob();
  const disposition = res.headers.get('Content-Disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
