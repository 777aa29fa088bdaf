import type { Client } from '@temporalio/client';

/** What the API needs of Temporal: the client and where the referral workflows run. */
export interface TemporalDeps {
  client: Client;
  namespace: string;
  taskQueue: string;
  /** Temporal Web's base URL, for links to a referral's workflow. */
  webUrl: string;
}

export function workflowWebUrl(temporal: TemporalDeps, workflowId: string): string {
  return `${temporal.webUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** How long an admin action may wait for the workflow to accept and apply it. */
export const UPDATE_DEADLINE_MS = 10_000;

/**
 * How long a start, signal or describe may take before the API answers 503: the client's own
 * retries would otherwise keep a request waiting some 20 s while Temporal is down (the fault
 * suite's restart scenario measured 19–22 s).
 */
export const CALL_DEADLINE_MS = 5_000;

/** Runs one Temporal call under CALL_DEADLINE_MS (past it: DEADLINE_EXCEEDED, answered 503 with Retry-After). */
export function withCallDeadline<T>(temporal: TemporalDeps, call: () => Promise<T>): Promise<T> {
  return temporal.client.connection.withDeadline(Date.now() + CALL_DEADLINE_MS, call);
}
