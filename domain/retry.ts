/**
 * Waiting for a dependency at start-up: a compose or Kubernetes start order is not guaranteed,
 * so the API and the worker wait for Postgres and Temporal, saying so, instead of exiting.
 */
export interface WaitOptions {
  /** Whether the error means "not reachable yet" (anything else is thrown at once). */
  isUnavailable: (error: unknown) => boolean;
  /** Told before each wait, e.g. console.warn. */
  log: (line: string) => void;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** Runs `attempt` until it succeeds, waiting 1, 2, 4 … up to 30 s between tries while the dependency is unavailable. */
export async function waitUntilAvailable<T>(what: string, attempt: () => Promise<T>, options: WaitOptions): Promise<T> {
  const { isUnavailable, log, firstDelayMs = 1_000, maxDelayMs = 30_000 } = options;
  for (let delay = firstDelayMs, tries = 1; ; delay = Math.min(delay * 2, maxDelayMs), tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      const reason = error instanceof Error ? error.message.split('\n')[0].slice(0, 200) : String(error);
      log(`${what} is not reachable yet (${reason}); try ${tries} failed, trying again in ${Math.round(delay / 1000)} s`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
