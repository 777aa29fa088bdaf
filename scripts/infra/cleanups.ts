/**
 * What a benchmark started (Postgres, the Temporal dev server, the API and worker processes),
 * stopped in reverse order once: at the end of the run, or on SIGINT / SIGTERM, after which the
 * process exits 130. Without the signal handlers a SIGTERM (`kill`, a CI timeout, bench/main.ts
 * passing one on) ended the suite at once and left its child servers running. Every suite uses
 * this; the processes it spawns are also killed on the process's exit (dev-temporal.ts,
 * embedded-postgres.ts, bench/scale/stack.ts), the last resort when a cleanup cannot run.
 */
export interface Cleanups {
  push(cleanup: () => Promise<unknown> | unknown): void;
  /** Runs the cleanups (unless a signal already did) and removes the signal handlers. */
  close(): Promise<void>;
}

export function cleanupsOnExitOrSignal(log: (line: string) => void): Cleanups {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  let interrupted = false;
  const runAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`cleanup failed: ${(error as Error).message}`);
      }
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping`);
    void runAll().finally(() => process.exit(130));
  };
  // on, not once: a second signal (a terminal's Ctrl-C reaches this process and `npm run bench`'s
  // relay alike) must not end the process halfway through its cleanups
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    push: (cleanup) => void cleanups.push(cleanup),
    async close() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (!interrupted) await runAll();
    },
  };
}
