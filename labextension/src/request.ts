/**
 * Calls to Maestro's REST API through Jupyter's ServerConnection (base_url, token, XSRF),
 * turning the server's JSON errors into `MaestroRequestError`.
 */

import { Notification } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export const API_PATH = 'maestro/api';

/** An error answered by the server (`{error, message, details}`) or a network failure. */
export class MaestroRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, any> = {},
    /** The server's `Retry-After`, in milliseconds, when it sent one. */
    readonly retryAfterMs?: number
  ) {
    super(message);
    this.name = 'MaestroRequestError';
  }

  /**
   * The error for people, each thing said once. A validation error names its fields in words
   * ("Task ids, item 1: …"); the server's own message, which summarises the same errors with
   * their raw paths, is then left out.
   */
  describe(): string {
    const errors: Array<{ field?: string; message?: string }> = (
      this.details?.errors ?? []
    ).filter((error: { message?: string }) => error.message);
    if (!errors.length) {
      return this.message;
    }
    const parts = errors.map(error =>
      error.field && error.field !== 'body'
        ? `${fieldInWords(error.field)}: ${error.message}`
        : error.message!
    );
    const summarised = errors.some(error =>
      this.message.includes(error.message!)
    );
    return summarised
      ? parts.join('; ')
      : `${this.message} (${parts.join('; ')})`;
  }
}

/** "taskIds.0" -> "Task ids, item 1"; "body.title" -> "Title". */
export function fieldInWords(field: string): string {
  const words = field
    .split('.')
    .filter(part => part !== 'body')
    .map(part =>
      /^\d+$/.test(part)
        ? `item ${Number(part) + 1}`
        : part.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
    )
    .join(', ');
  return words ? words[0].toUpperCase() + words.slice(1) : field;
}

export interface IRequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  headers?: Record<string, string>;
}

/** How often a request the store was too busy for is sent again, and the longest wait. */
const BUSY_RETRIES = 3;
const BUSY_MAX_WAIT_MS = 5000;

/**
 * Call `maestro/api/<path>` and answer the parsed JSON body (undefined for 204). A `503
 * store_busy` (another writer held the database past the server's bounded wait) did nothing,
 * so it is sent again after the server's `Retry-After`, a few times.
 */
export async function requestAPI<T>(
  path: string,
  options: IRequestOptions = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const query = Object.entries(options.query ?? {})
    .filter(([, value]) => value !== undefined)
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`
    )
    .join('&');
  const url =
    URLExt.join(settings.baseUrl, API_PATH, path) + (query ? `?${query}` : '');
  const init: RequestInit = {
    method: options.method ?? 'GET',
    // Lab's default, 'no-store', appends a bare cache-busting number to the query string,
    // which the API rightly refuses as an unknown parameter; 'no-cache' still never serves stale.
    cache: 'no-cache',
    headers: {
      ...(options.body !== undefined
        ? { 'Content-Type': 'application/json' }
        : {}),
      ...options.headers
    }
  };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
  }
  for (let retries = 0; ; retries++) {
    try {
      return await send<T>(url, init, settings);
    } catch (error) {
      if (
        !(error instanceof MaestroRequestError) ||
        error.code !== 'store_busy' ||
        retries >= BUSY_RETRIES
      ) {
        throw error;
      }
      await new Promise(resolve =>
        window.setTimeout(
          resolve,
          Math.min(error.retryAfterMs ?? 1000, BUSY_MAX_WAIT_MS)
        )
      );
    }
  }
}

async function send<T>(
  url: string,
  init: RequestInit,
  settings: ServerConnection.ISettings
): Promise<T> {
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new MaestroRequestError(
      0,
      'network_error',
      `Cannot reach the Jupyter server: ${(error as Error).message}`
    );
  }
  const text = await response.text();
  let body: any = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!response.ok) {
    const retryAfter = Number(response.headers.get('Retry-After'));
    throw new MaestroRequestError(
      response.status,
      body?.error ?? `http_${response.status}`,
      body?.message ?? `${response.status} ${response.statusText}`.trim(),
      body?.details ?? {},
      Number.isFinite(retryAfter) && retryAfter > 0
        ? retryAfter * 1000
        : undefined
    );
  }
  return body as T;
}

/** Show a failed action in Lab's notification area: Maestro never fails silently. */
export function notifyError(action: string, error: unknown): void {
  const message =
    error instanceof MaestroRequestError
      ? error.describe()
      : error instanceof Error
        ? error.message
        : String(error);
  Notification.error(`${action}: ${message}`, { autoClose: 8000 });
}
