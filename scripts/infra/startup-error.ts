/**
 * A reason the system cannot start that the person starting it can fix (a folder out of
 * reach, a missing tool): entry points print its message alone, without a stack trace.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}
