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
    readonly details: Record<string, any> = {}
  ) {
    super(message);
    this.name = 'MaestroRequestError';
  }

  /** The message with the fields a validation error names, for people. */
  describe(): string {
    const errors: Array<{ field?: string; message?: string }> =
      this.details?.errors ?? [];
    const fields = errors
      .filter(error => error.field || error.message)
      .map(error => [error.field, error.message].filter(Boolean).join(': '));
    return fields.length
      ? `${this.message} (${fields.join('; ')})`
      : this.message;
  }
}

export interface IRequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  headers?: Record<string, string>;
}

/** Call `maestro/api/<path>` and answer the parsed JSON body (undefined for 204). */
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
    throw new MaestroRequestError(
      response.status,
      body?.error ?? `http_${response.status}`,
      body?.message ?? `${response.status} ${response.statusText}`.trim(),
      body?.details ?? {}
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
