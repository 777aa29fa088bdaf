import type { RuntimeConfig } from '../api/types';

/**
 * The small part of Grafana Faro that is always loaded. The SDK itself (with the React
 * integration and web tracing) is a separate chunk, fetched only when GET /api/config
 * answers a collector; until then (or when off) these calls do nothing.
 */
interface FaroApi {
  pushError: (error: Error, options?: { context?: Record<string, string> }) => void;
  setView: (view: { name: string }) => void;
}

let faroApi: FaroApi | null = null;
let lastView: string | null = null;
let starting: Promise<boolean> | null = null;

export function startObservability(config: RuntimeConfig): Promise<boolean> {
  if (!config.faro) return Promise.resolve(false);
  const faro = config.faro;
  starting ??= import('./faro')
    .then(({ initFaro }) => {
      faroApi = initFaro(faro);
      if (lastView) faroApi.setView({ name: lastView });
      return true;
    })
    .catch((error: unknown) => {
      console.warn('Grafana Faro did not start', error);
      return false;
    });
  return starting;
}

export function reportError(error: Error, context: Record<string, string> = {}): void {
  faroApi?.pushError(error, { context });
}

/** A page view: the route pattern, e.g. /referrals/:id (no ids, no personal data). */
export function reportView(name: string): void {
  if (name === lastView) return;
  lastView = name;
  faroApi?.setView({ name });
}
