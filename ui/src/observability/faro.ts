import { ReactIntegration } from '@grafana/faro-react';
import { getWebInstrumentations, initializeFaro } from '@grafana/faro-web-sdk';
import { TracingInstrumentation } from '@grafana/faro-web-tracing';
import type { RuntimeConfig } from '../api/types';

/**
 * Grafana Faro: page views (views), errors, web vitals, console errors and a trace
 * (W3C traceparent header) on every same-origin fetch, so API calls join the browser's trace.
 * Loaded as its own chunk only when a collector is configured.
 */
export function initFaro(config: NonNullable<RuntimeConfig['faro']>) {
  const faro = initializeFaro({
    url: config.url,
    app: { name: config.app_name, environment: config.environment, version: import.meta.env.VITE_APP_VERSION ?? 'dev' },
    instrumentations: [...getWebInstrumentations({ captureConsole: true }), new TracingInstrumentation(), new ReactIntegration()],
    sessionTracking: { enabled: true },
  });
  return faro.api;
}
