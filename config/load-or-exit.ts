import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from './env.js';

/**
 * For process entry points: reads `.env` when present (the environment wins), then the
 * configuration; a bad one ends the process with the reason, no stack.
 */
export function loadConfigOrExit(): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${error.message}\nSee .env.example for every variable, its default and its meaning.`);
    process.exit(1);
  }
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits. */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received: stopping…`);
    stop().then(
      () => process.exit(0),
      (error) => {
        console.error('shutdown failed', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
