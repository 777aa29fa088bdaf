import type { FieldProblem } from './types';

/** An answer of the API that is not 2xx: `{ error, message, details? }`, or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Problems the API tied to a field (validation), keyed by field name. */
  fieldProblems(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of this.details) if (d.field && !(d.field in out)) out[d.field] = d.message;
    return out;
  }
}

type Listener = () => void;
let token: string | null = null;
const unauthorizedListeners = new Set<Listener>();

/** The bearer token sent with admin requests (set by the auth store). */
export function setApiToken(value: string | null): void {
  token = value;
}

/** Called when an authenticated request answers 401: the session is over. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  /** Send the bearer token and treat 401 as "signed out" (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

/** Query string from an object, leaving out empty values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function api<T>(path: string, { method = 'GET', body, auth = true, signal }: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth && token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    // window.fetch looked up per call: Faro's tracing instrumentation wraps it after start-up.
    response = await window.fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', (error as Error).message);
  }
  const text = await response.text();
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!response.ok) {
    const payload = (json ?? {}) as { error?: string; message?: string; details?: unknown };
    const details = Array.isArray(payload.details)
      ? payload.details.filter((d): d is FieldProblem => typeof d === 'object' && d !== null && 'field' in d)
      : [];
    const error = new ApiError(
      response.status,
      payload.error ?? `http_${response.status}`,
      payload.message ?? response.statusText,
      details,
    );
    if (response.status === 401 && auth && token) for (const listener of unauthorizedListeners) listener();
    throw error;
  }
  if (json === undefined && text) throw new ApiError(response.status, 'invalid_response', 'The server answered something that is not JSON');
  return json as T;
}
