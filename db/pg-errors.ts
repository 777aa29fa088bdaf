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
