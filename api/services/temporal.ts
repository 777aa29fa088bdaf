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
