import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';

const NUL = '\u0000';
const MAX_DEPTH = 20;

interface Problem {
  field: string;
  message: string;
}

/**
 * The first value no column can store: a string holding a NUL character, or a number that is
 * not finite (`page=1e400` is coerced to Infinity, which Ajv's range checks skip; `1e400` in
 * JSON parses to Infinity too).
 */
function unstorable(value: unknown, path: string[] = []): Problem | null {
  const field = () => path.join('.') || '(value)';
  if (typeof value === 'string')
    return value.includes(NUL) ? { field: field(), message: 'must not contain a NUL character (\\u0000)' } : null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { field: field(), message: 'must be a finite number' };
  if (!value || typeof value !== 'object' || path.length > MAX_DEPTH) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes(NUL))
      return { field: [...path, key.replaceAll(NUL, '\\u0000')].join('.'), message: 'must not contain a NUL character (\\u0000)' };
    const found = unstorable(inner, [...path, key]);
    if (found) return found;
  }
  return null;
}

/**
 * Postgres text cannot hold a NUL character (\u0000) and no column takes Infinity: such a value
 * that reached a query answered 500, and a NUL in a reject reason jammed the referral's
 * workflow (its activity retried forever). Every route refuses them with a 400 naming the
 * field, after its own validation (so a signed webhook's body is checked once parsed, and
 * query values once coerced) and before its handler. CSV imports drop NULs while staging.
 */
export function refuseUnstorableValues(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    for (const [part, value] of [
      ['query', request.query],
      ['params', request.params],
      ['body', request.body],
    ] as const) {
      const problem = unstorable(value);
      if (problem) throw new HttpError(400, 'validation_error', `Invalid ${part}: ${problem.field} ${problem.message}`, [problem]);
    }
  });
}
