// Fetch with readable errors: RFC 9457 problem details become an ApiError whose message a person can act on.

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
    readonly retryAfterSeconds: number | null = null,
    /** The problem's `type` URI: what kind of refusal, for callers that word it themselves. */
    readonly type: string | null = null,
    /** The problem's other members: the facts behind it for a program (Bets.Api's refusals give amounts in cents). */
    readonly facts: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface Problem {
  type?: string;
  title?: string;
  detail?: string;
  code?: string;
  errors?: Record<string, string[]>;
  [fact: string]: unknown;
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function request<T>(url: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }

  let response: Response;
  try {
    response = await fetch(url, { method: options.method ?? (body ? 'POST' : 'GET'), headers, body, signal: options.signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError('The service could not be reached. Check your connection and try again.', 0);
  }

  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed = text ? safeParse(text) : undefined;
  if (response.ok) return parsed as T;
  throw problemToError(response, parsed as Problem | undefined);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function problemToError(response: Response, problem: Problem | undefined): ApiError {
  const retryHeader = response.headers.get('Retry-After');
  const retryAfter = retryHeader !== null && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  let message = problem?.detail || problem?.title || defaultMessage(response.status);
  if (problem?.errors) {
    const details = Object.values(problem.errors).flat();
    if (details.length > 0) message = details.join(' ');
  }
  if (retryAfter !== null) message += ` Try again in ${retryAfter} s.`;
  return new ApiError(message, response.status, problem?.code ?? null, retryAfter, problem?.type ?? null, problem ?? {});
}

function defaultMessage(status: number): string {
  switch (status) {
    case 401: return 'Your session has ended. Sign in again.';
    case 403: return 'You are not allowed to do that.';
    case 404: return 'Not found.';
    case 429: return 'Too many requests.';
    case 502: case 503: return 'The service is unavailable right now. Try again in a moment.';
    default: return `The request failed (HTTP ${status}).`;
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
