import { constants } from 'node:os';

type Cleanup = () => Promise<unknown> | unknown;

/**
 * What a run started (Postgres, the Temporal dev server, API and worker processes, files),
 * stopped in the reverse order it was started, each once; a cleanup that fails is logged and the
 * rest still run.
 */
export class Cleanups {
  private readonly cleanups: Cleanup[] = [];

  constructor(private readonly log: (line: string) => void) {}

  push(cleanup: Cleanup): void {
    this.cleanups.push(cleanup);
  }

  async runAll(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        this.log(`cleanup failed: ${(error as Error).message}`);
      }
    }
  }
}

export interface CleanupsOnSignal {
  push(cleanup: Cleanup): void;
  /** Runs the cleanups (unless a signal already did) and removes the signal handlers. */
  close(): Promise<void>;
}

/**
 * Cleanups that also run on SIGINT / SIGTERM, after which the process exits 128 + the signal's
 * number (130, 143). Without the handlers a SIGTERM (`kill`, a CI timeout, bench/main.ts passing
 * one on) ended a benchmark or the fuzz run at once and left its child servers running. The
 * processes they spawn are also stopped on the process's exit (`stopWithThisProcess`,
 * embedded-postgres.ts), the last resort when a cleanup cannot run.
 */
export function cleanupsOnExitOrSignal(log: (line: string) => void): CleanupsOnSignal {
  const cleanups = new Cleanups(log);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping`);
    void cleanups.runAll().finally(() => process.exit(128 + constants.signals[signal]));
  };
  // on, not once: a second signal (a terminal's Ctrl-C reaches this process and `npm run`'s relay
  // alike) must not end the process halfway through its cleanups
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    push: (cleanup) => cleanups.push(cleanup),
    async close() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (!interrupted) await cleanups.runAll();
    },
  };
}
