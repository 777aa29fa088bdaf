/**
 * The constraint a Postgres unique violation (23505) hit, or null for any other error.
 * Objection wraps driver errors (db-errors' UniqueViolationError, without `code`): the
 * driver's own error is then its `nativeError`.
 */
export function uniqueViolation(error: unknown): string | null {
  const e = error as { code?: string; constraint?: string; nativeError?: unknown };
  if (e?.code === '23505') return e.constraint ?? 'unknown';
  return e?.nativeError ? uniqueViolation(e.nativeError) : null;
}

/** Node's socket errors for a server that is down, restarting or unreachable. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Postgres' "not available now" errors: 08 connection exceptions, 57P01/57P02 (shut down under
 * us), 57P03 (starting up), 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300)$/;

/** pg's and knex's words for a pool that cannot get a working connection. */
const CONNECTION_LOST =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Timeout acquiring a connection/i;

/**
 * Whether an error means the database is not reachable or not accepting work right now (a
 * restart, a failover, an outage) rather than anything about the request: the API answers
 * 503 with Retry-After. Looks through wrappers (objection's nativeError, causes, AggregateError).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as { code?: unknown; name?: unknown; message?: unknown; nativeError?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (CONNECTION_ERROR_CODES.has(e.code) || UNAVAILABLE_SQLSTATES.test(e.code))) return true;
  if (e.name === 'KnexTimeoutError') return true;
  if (typeof e.message === 'string' && CONNECTION_LOST.test(e.message)) return true;
  const inner = [e.nativeError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((cause) => isDatabaseUnavailable(cause, depth + 1));
}

/**
 * Whether Postgres refused the data itself, so the same statement can never succeed: class 22
 * (data exceptions: a NUL byte in text, a value out of range, an invalid date) and class 23
 * (integrity: a CHECK or a foreign key), except unique violations, which the repositories
 * treat as "already done" and a retry can resolve.
 */
export function isPermanentDataError(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as { code?: unknown; nativeError?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && /^2[23][0-9A-Z]{3}$/.test(e.code) && e.code !== '23505') return true;
  return isPermanentDataError(e.nativeError ?? e.cause, depth + 1);
}
