import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DigestActivities } from '../activities/digest.js';
import { amsterdamDay, BUSINESS_TIME_ZONE } from '../domain/amsterdam-time.js';

/** The digest's clock: admins read it in Dutch time, and its day names the idempotency key. */
export const APPROVAL_DIGEST_TIME_ZONE = BUSINESS_TIME_ZONE;

const activities = proxyActivities<DigestActivities>({
  startToCloseTimeout: '1 minute',
  // A provider outage is waited out for a few hours; a later day brings a new digest anyway.
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes', backoffCoefficient: 2 },
});

export interface ApprovalDigestInput {
  /** The moment the digest is for (ISO); by default when this run started. */
  at?: string;
}

export type ApprovalDigestResult =
  { skipped: true; day: string; pendingCount: 0; sent: 0 } | { skipped: false; day: string; pendingCount: number; sent: number };

/**
 * The daily digest of pending approvals (started by the `approval-digest` Schedule): reads the
 * review queue and, when something waits, emails every admin once for that day; an empty queue
 * sends nothing.
 */
export async function approvalDigest(input: ApprovalDigestInput = {}): Promise<ApprovalDigestResult> {
  const day = amsterdamDay(input.at ? new Date(input.at) : workflowInfo().startTime);
  const digest = await activities.collectPendingApprovals();
  if (digest.pendingCount === 0) {
    log.info('approval digest skipped: nothing to review', { day });
    return { skipped: true, day, pendingCount: 0, sent: 0 };
  }
  const sent = await activities.sendApprovalDigest({ day, digest });
  log.info('approval digest sent', { day, pendingCount: digest.pendingCount, sent });
  return { skipped: false, day, pendingCount: digest.pendingCount, sent };
}
